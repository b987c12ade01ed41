namespace Glm.Platform.Tests.Storage;

public abstract partial class PlatformContract
{
    private Task<(UsageRecord Row, bool Written)> RecordAsync(
        IssuedKey key, string requestId, long prompt, long completion, DateTimeOffset at, string model = "glm-4-flash") =>
        Ledger.RecordAsync(requestId, IdentityOf(key), model, prompt, completion, 0, at, TimeSpan.FromMilliseconds(250), "stop");

    [SkippableFact]
    public async Task A_request_is_written_once_and_debited_once()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme", balance: 1m);
        // 1000 in at 1/M + 500 out at 2/M = 0.002.
        var (row, written) = await RecordAsync(key, "req-1", 1000, 500, Start);
        Assert.True(written);
        Assert.Equal(0.002m, row.Cost);
        Assert.False((await RecordAsync(key, "req-1", 1000, 500, Start)).Written);

        Assert.Equal(0.998m, (await Admin.GetTenantAsync(tenant.Id)).Balance);
        var stored = Assert.Single(await Admin.UsageAsync(tenant.Id, Start, Start.AddDays(1)));
        Assert.Equal(row, stored);
    }

    [SkippableFact]
    public async Task Concurrent_writes_of_one_request_id_debit_once()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme", balance: 1m);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => RecordAsync(key, "req-x", 1_000_000, 0, Start))));
        Assert.Single(results, r => r.Written);
        Assert.Equal(0m, (await Admin.GetTenantAsync(tenant.Id)).Balance);
    }

    [SkippableFact]
    public async Task A_price_change_never_reprices_earlier_rows()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        await RecordAsync(key, "before", 1_000_000, 1_000_000, Start);
        await Admin.SetPriceAsync("glm-4-flash", 10m, 20m, Start.AddHours(1));
        await RecordAsync(key, "after", 1_000_000, 1_000_000, Start.AddHours(2));

        var rows = await Admin.UsageAsync(tenant.Id, Start, Start.AddDays(1));
        Assert.Equal([("before", 3m), ("after", 30m)], rows.Select(r => (r.RequestId, r.Cost)));
        Assert.Equal(100m - 33m, (await Admin.GetTenantAsync(tenant.Id)).Balance);
    }

    [SkippableFact]
    public async Task A_model_without_a_price_is_refused_before_and_after()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        var before = await Assert.ThrowsAsync<PlatformException>(() => Ledger.EnsureCanSpendAsync(tenant.Id, "glm-9"));
        var after = await Assert.ThrowsAsync<PlatformException>(() => RecordAsync(key, "r", 1, 1, Start, "glm-9"));
        Assert.Equal(("1211", "1211"), (before.Code, after.Code));
    }

    [SkippableFact]
    public async Task A_tenant_out_of_balance_is_refused_with_1113()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme", balance: 0.001m);
        await Ledger.EnsureCanSpendAsync(tenant.Id, "glm-4-flash");
        await RecordAsync(key, "big", 1000, 0, Start);

        var e = await Assert.ThrowsAsync<PlatformException>(() => Ledger.EnsureCanSpendAsync(tenant.Id, "glm-4-flash"));
        Assert.Equal(("1113", 429), (e.Code, e.HttpStatus));
        await Admin.AddCreditAsync(tenant.Id, 1m);
        await Ledger.EnsureCanSpendAsync(tenant.Id, "glm-4-flash");
    }

    [SkippableFact]
    public async Task The_invoice_sums_per_model_and_utc_day_and_holds_only_the_tenants_rows()
    {
        var (a, keyA) = await TenantWithKeyAsync("acme");
        var (b, keyB) = await TenantWithKeyAsync("globex");
        await Admin.SetPriceAsync("glm-4-plus", 5m, 5m, Start.AddDays(-1));
        // Start is 23:00 UTC on the 28th: +30 min is the same day, +90 min the next.
        await RecordAsync(keyA, "a1", 100, 10, Start);
        await RecordAsync(keyA, "a2", 200, 20, Start.AddMinutes(30));
        await RecordAsync(keyA, "a3", 1000, 0, Start.AddMinutes(90));
        await RecordAsync(keyA, "a4", 1000, 1000, Start.AddMinutes(30), "glm-4-plus");
        await RecordAsync(keyB, "b1", 7777, 7777, Start.AddMinutes(30));

        var invoice = await Admin.InvoiceAsync(a.Id, Start.AddDays(-1), Start.AddDays(2));
        Assert.Equal(
            [
                (new DateOnly(2026, 11, 28), "glm-4-flash", 2L, 300L, 30L),
                (new DateOnly(2026, 11, 28), "glm-4-plus", 1L, 1000L, 1000L),
                (new DateOnly(2026, 11, 29), "glm-4-flash", 1L, 1000L, 0L),
            ],
            invoice.Lines.Select(l => (l.Day, l.Model, l.Requests, l.PromptTokens, l.CompletionTokens)));
        Assert.All(invoice.Lines, l => Assert.Equal(a.Id, l.TenantId));
        Assert.Equal(0.00036m + 0.01m + 0.001m, invoice.Total);

        Assert.DoesNotContain(await Admin.UsageAsync(a.Id, Start.AddDays(-1), Start.AddDays(2)), r => r.TenantId == b.Id);
        Assert.Equal(["b1"], (await Admin.UsageAsync(b.Id, Start.AddDays(-1), Start.AddDays(2))).Select(r => r.RequestId));
        Assert.Equal(["a1", "a2", "a4"], (await Admin.UsageAsync(a.Id, Start, Start.AddHours(1))).Select(r => r.RequestId));
    }

    [SkippableFact]
    public async Task Request_ids_are_per_tenant_and_found_by_their_tenant_only()
    {
        var (alice, aliceKey) = await TenantWithKeyAsync("alice", balance: 1m);
        var (bob, bobKey) = await TenantWithKeyAsync("bob", balance: 1m);
        Assert.True((await RecordAsync(aliceKey, "same-id", 1000, 500, Start)).Written);
        // Another tenant's row with the same id is its own row, written and debited.
        Assert.True((await RecordAsync(bobKey, "same-id", 1000, 500, Start)).Written);
        Assert.Equal((0.998m, 0.998m), ((await Admin.GetTenantAsync(alice.Id)).Balance, (await Admin.GetTenantAsync(bob.Id)).Balance));

        Assert.Equal(alice.Id, (await Store.FindUsageAsync(alice.Id, "same-id"))?.TenantId);
        Assert.Equal(bob.Id, (await Store.FindUsageAsync(bob.Id, "same-id"))?.TenantId);
        Assert.Null(await Store.FindUsageAsync(alice.Id, "other-id"));
    }
}
