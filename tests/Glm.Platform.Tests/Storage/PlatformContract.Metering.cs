using Microsoft.Extensions.AI;

namespace Glm.Platform.Tests.Storage;

public abstract partial class PlatformContract
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];

    private IChatClient Metered(IChatClient inner, KeyRateLimiter? limiter = null) =>
        inner.AsBuilder().UseMetering(Ledger, limiter, Clock).Build();

    [SkippableFact]
    public async Task A_response_is_billed_from_its_usage_and_the_caller_tag_stays_inside()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        var inner = ScriptedChatClient.Tokens("glm-4-flash", 1000, "Hi", " there");
        var call = new MeteredCall(IdentityOf(key), "req-1");

        var response = await Metered(inner).GetResponseAsync(Hello, call.ForCaller(new ChatOptions { ModelId = "glm-4-flash" }));

        Assert.Equal("Hi there", response.Text);
        Assert.DoesNotContain("glm.metered_call", inner.Calls.Single()!.AdditionalProperties!.Keys);
        var row = Assert.Single(await Admin.UsageAsync(tenant.Id, Start, Start.AddDays(1)));
        Assert.Equal(("req-1", key.KeyId, "glm-4-flash", 1000L, 2L, 2L, "stop"),
            (row.RequestId, row.KeyId, row.Model, row.PromptTokens, row.CompletionTokens, row.CachedTokens, row.FinishReason));
        Assert.Equal(0.001004m, row.Cost);
        Assert.Equal(100m - 0.001004m, (await Admin.GetTenantAsync(tenant.Id)).Balance);
    }

    [SkippableFact]
    public async Task A_stream_read_to_the_end_is_billed_once_from_its_final_usage()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        var inner = ScriptedChatClient.Tokens("glm-4-flash", 40, "a", "b", "c", "d");
        var client = Metered(inner);

        var updates = await client.GetStreamingResponseAsync(Hello, new MeteredCall(IdentityOf(key), "s-1").ForCaller(null)).ToListAsync();

        Assert.Equal("abcd", updates.ToChatResponse().Text);
        var row = Assert.Single(await Admin.UsageAsync(tenant.Id, Start, Start.AddDays(1)));
        Assert.Equal((40L, 4L, "stop"), (row.PromptTokens, row.CompletionTokens, row.FinishReason));
    }

    [SkippableFact]
    public async Task A_stream_the_caller_abandons_is_billed_once_for_what_was_generated()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        var inner = ScriptedChatClient.Tokens("glm-4-flash", 40, "a", "b", "c", "d", "e", "f");
        var client = Metered(inner);
        Clock.Advance(TimeSpan.FromSeconds(1));

        await foreach (var update in client.GetStreamingResponseAsync(Hello, new MeteredCall(IdentityOf(key), "s-2").ForCaller(null)))
        {
            if (update.Text == "c")
            {
                Clock.Advance(TimeSpan.FromMilliseconds(300));
                break;
            }
        }

        Assert.Equal(3, inner.Streamed);
        var row = Assert.Single(await Admin.UsageAsync(tenant.Id, Start, Start.AddDays(1)));
        // No usage update arrived: one output token per content update, no prompt count.
        Assert.Equal((3L, "interrupted", 300.0), (row.CompletionTokens, row.FinishReason, row.Latency.TotalMilliseconds));
        Assert.Equal(0.000006m, row.Cost);
    }

    [SkippableFact]
    public async Task A_tenant_out_of_balance_never_reaches_the_model()
    {
        var (_, key) = await TenantWithKeyAsync("acme", balance: 0m);
        var inner = ScriptedChatClient.Tokens("glm-4-flash", 1, "x");
        var options = new MeteredCall(IdentityOf(key), "r").ForCaller(new ChatOptions { ModelId = "glm-4-flash" });

        var e = await Assert.ThrowsAsync<PlatformException>(() => Metered(inner).GetResponseAsync(Hello, options));
        var s = await Assert.ThrowsAsync<PlatformException>(async () => await Metered(inner).GetStreamingResponseAsync(Hello, options).ToListAsync());

        Assert.Equal(("1113", "1113"), (e.Code, s.Code));
        Assert.Empty(inner.Calls);
    }

    [SkippableFact]
    public async Task Metering_charges_tokens_to_the_keys_per_minute_limit()
    {
        var (_, key) = await TenantWithKeyAsync("acme");
        var caller = IdentityOf(key) with { Limits = new KeyLimits(TokensPerMinute: 100) };
        var limiter = new KeyRateLimiter(Clock);
        var client = Metered(ScriptedChatClient.Tokens("glm-4-flash", 98, "a", "b"), limiter);

        await client.GetResponseAsync(Hello, new MeteredCall(caller, "r1").ForCaller(null));
        var e = await Assert.ThrowsAsync<PlatformException>(() => client.GetResponseAsync(Hello, new MeteredCall(caller, "r2").ForCaller(null)));

        Assert.Equal(("1303", 429, 60), (e.Code, e.HttpStatus, e.RetryAfterSeconds));
    }

    [SkippableFact]
    public async Task A_call_without_a_payer_is_a_programming_error()
    {
        var client = Metered(ScriptedChatClient.Tokens("glm-4-flash", 1, "x"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync(Hello));
    }
}
