using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Glm.Platform;

namespace Glm.Cli.Commands;

/// <summary><c>glm usage</c>: a tenant's usage and cost per model and UTC day, with its balance.</summary>
internal static class UsageCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant name", Required = true };
        var days = new Option<int>("--days") { Description = "How many UTC days back, today included", DefaultValueFactory = _ => 30 };
        var options = new PlatformOptions();
        var command = new Command("usage", "Usage and cost per model and day for one tenant") { tenant, days };
        foreach (var option in options.All)
            command.Options.Add(option);

        command.SetAction(parse => CliRunner.Run(() => options.RunAsync(parse, async admin =>
        {
            var t = await admin.GetTenantByNameAsync(parse.GetValue(tenant)!);
            var to = DateTimeOffset.UtcNow;
            var from = new DateTimeOffset(to.UtcDateTime.Date, TimeSpan.Zero).AddDays(1 - Math.Max(1, parse.GetValue(days)));
            var invoice = await admin.InvoiceAsync(t.Id, from, to.AddTicks(1));
            if (parse.GetValue(options.Json))
            {
                Console.WriteLine(new JsonObject
                {
                    ["tenant"] = t.Name, ["balance"] = t.Balance, ["total"] = invoice.Total,
                    ["lines"] = new JsonArray([.. invoice.Lines.Select(l => (JsonNode)new JsonObject
                    {
                        ["day"] = l.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["model"] = l.Model,
                        ["requests"] = l.Requests, ["prompt_tokens"] = l.PromptTokens,
                        ["completion_tokens"] = l.CompletionTokens, ["cached_tokens"] = l.CachedTokens, ["cost"] = l.Cost,
                    })]),
                }.ToJsonString());
                return 0;
            }
            Console.WriteLine($"{"day",-10} {"model",-20} {"requests",9} {"prompt",10} {"completion",10} {"cost",14}");
            foreach (var l in invoice.Lines)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{l.Day:yyyy-MM-dd} {l.Model,-20} {l.Requests,9} {l.PromptTokens,10} {l.CompletionTokens,10} {l.Cost,14}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {invoice.Total}, balance {t.Balance}"));
            return 0;
        })));
        return command;
    }
}
