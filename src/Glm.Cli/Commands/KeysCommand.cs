using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Glm.Core;
using Glm.Platform;

namespace Glm.Cli.Commands;

/// <summary><c>glm keys create|list|revoke</c>: API keys of a tenant.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant name", Required = true };
        var balance = new Option<decimal?>("--balance") { Description = "Starting balance of a new tenant; credit added to an existing one" };
        var name = new Option<string>("--name") { Description = "A label for the key", DefaultValueFactory = _ => "default" };
        var key = new Option<string>("--key") { Description = "Key id (the part before the dot)", Required = true };
        var options = new PlatformOptions();

        var create = new Command("create", "Create a key (and the tenant when new); the secret is shown only now") { tenant, balance, name };
        var list = new Command("list", "List a tenant's keys, revoked ones included; never a secret") { tenant };
        var revoke = new Command("revoke", "Revoke a key at once") { tenant, key };
        foreach (var command in new[] { create, list, revoke })
            foreach (var option in options.All)
                command.Options.Add(option);

        create.SetAction(parse => CliRunner.Run(() => options.RunAsync(parse, async admin =>
        {
            string tenantName = parse.GetValue(tenant)!;
            decimal? credit = parse.GetValue(balance);
            var existing = await admin.FindTenantByNameAsync(tenantName);
            var t = existing ?? await admin.CreateTenantAsync(tenantName, credit ?? 0);
            decimal newBalance = existing is not null && credit is { } c ? await admin.AddCreditAsync(t.Id, c) : t.Balance;
            var issued = await admin.CreateKeyAsync(t.Id, parse.GetValue(name)!);
            Print(parse.GetValue(options.Json), new JsonObject
            {
                ["tenant"] = t.Name, ["tenant_id"] = t.Id, ["balance"] = newBalance, ["key_id"] = issued.KeyId,
                ["api_key"] = issued.ZhipuKey, ["openai_api_key"] = issued.OpenAiKey,
            });
            if (!parse.GetValue(options.Json))
                Console.Error.WriteLine("The secret is not stored and will not be shown again.");
            return 0;
        })));

        list.SetAction(parse => CliRunner.Run(() => options.RunAsync(parse, async admin =>
        {
            var t = await admin.GetTenantByNameAsync(parse.GetValue(tenant)!);
            var keys = await admin.ListKeysAsync(t.Id);
            var rows = new JsonArray([.. keys.Select(k => (JsonNode)new JsonObject
            {
                ["key_id"] = k.Id, ["name"] = k.Name, ["created"] = k.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                ["revoked"] = k.RevokedAt?.ToString("O", CultureInfo.InvariantCulture),
                ["rpm"] = k.Limits.RequestsPerMinute, ["tpm"] = k.Limits.TokensPerMinute, ["max_concurrency"] = k.Limits.MaxConcurrency,
            })]);
            if (parse.GetValue(options.Json))
                Console.WriteLine(rows.ToJsonString());
            else
                foreach (var k in keys)
                    Console.WriteLine($"{k.Id}  {k.Name,-12} {(k.IsRevoked ? "revoked" : "live")}");
            return 0;
        })));

        revoke.SetAction(parse => CliRunner.Run(() => options.RunAsync(parse, async admin =>
        {
            var t = await admin.GetTenantByNameAsync(parse.GetValue(tenant)!);
            string id = parse.GetValue(key)!;
            if (!await admin.RevokeKeyAsync(t.Id, id))
                throw new GlmException($"Tenant '{t.Name}' has no live key '{id}'.");
            Console.WriteLine($"revoked {id}");
            return 0;
        })));

        return new Command("keys", "API keys and tenants of the metered API") { create, list, revoke };
    }

    internal static void Print(bool json, JsonObject result)
    {
        if (json)
        {
            Console.WriteLine(result.ToJsonString());
            return;
        }
        foreach (var (field, value) in result)
            Console.WriteLine($"{field,-16} {value?.ToString()}");
    }
}
