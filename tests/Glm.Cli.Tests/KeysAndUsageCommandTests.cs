using System.Text.Json.Nodes;

namespace Glm.Cli.Tests;

/// <summary><c>glm keys</c> and <c>glm usage</c> against a SQLite ledger of their own.</summary>
public sealed class KeysAndUsageCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("glm-keys-").FullName;

    private GlmProcess.Result Glm(params string[] args) =>
        GlmProcess.Run([.. args, "--db", "sqlite:" + Path.Combine(_dir, "platform.db"), "--pepper-file", Path.Combine(_dir, "pepper")]);

    [Fact]
    public void A_key_is_shown_once_listed_without_its_secret_and_revoked()
    {
        var created = Glm("keys", "create", "--tenant", "acme", "--balance", "12.5", "--json");
        Assert.Equal(0, created.ExitCode);
        var key = JsonNode.Parse(created.Stdout)!;
        string keyId = (string)key["key_id"]!, apiKey = (string)key["api_key"]!;
        Assert.StartsWith(keyId + ".", apiKey);
        Assert.Equal("sk-" + apiKey, (string)key["openai_api_key"]!);

        var listed = Glm("keys", "list", "--tenant", "acme", "--json");
        Assert.Contains(keyId, listed.Stdout);
        Assert.DoesNotContain(apiKey.Split('.')[1], listed.Stdout);

        Assert.Equal(0, Glm("keys", "revoke", "--tenant", "acme", "--key", keyId).ExitCode);
        Assert.Contains("revoked", Glm("keys", "list", "--tenant", "acme").Stdout);

        var usage = JsonNode.Parse(Glm("usage", "--tenant", "acme", "--json").Stdout)!;
        Assert.Equal(12.5m, (decimal)usage["balance"]!);
        Assert.Empty(usage["lines"]!.AsArray());
    }

    [Fact]
    public void An_unknown_tenant_is_named()
    {
        var result = Glm("usage", "--tenant", "nobody");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Tenant 'nobody' does not exist.", result.Stderr.Trim());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
