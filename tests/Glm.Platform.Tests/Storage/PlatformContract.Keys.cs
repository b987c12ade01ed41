namespace Glm.Platform.Tests.Storage;

public abstract partial class PlatformContract
{
    [SkippableFact]
    public async Task A_key_is_stored_without_its_secret_and_listed_for_its_tenant()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        var listed = Assert.Single(await Admin.ListKeysAsync(tenant.Id));
        Assert.Equal(key.KeyId, listed.Id);
        Assert.DoesNotContain(key.Secret, listed.SecretHash);
        Assert.Matches("^[0-9a-f]{32}$", key.KeyId);
        Assert.Equal($"sk-{key.KeyId}.{key.Secret}", key.OpenAiKey);
    }

    [SkippableFact]
    public async Task Both_key_forms_authenticate_as_the_same_key()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        var zhipu = await Authenticator.AuthenticateAsync("Bearer " + key.ZhipuKey);
        var openAi = await Authenticator.AuthenticateAsync(key.OpenAiKey);
        Assert.Equal((tenant.Id, key.KeyId), (zhipu.TenantId, zhipu.KeyId));
        Assert.Equal(zhipu, openAi);
    }

    [SkippableTheory]
    [InlineData(null, "1001")]
    [InlineData("Bearer ", "1001")]
    [InlineData("no-dot-here", "1002")]
    [InlineData("0123456789abcdef0123456789abcdef.secret", "1002")]
    public async Task A_bad_credential_is_refused_with_401(string? bearer, string code)
    {
        await TenantWithKeyAsync("acme");
        var e = await Assert.ThrowsAsync<PlatformException>(() => Authenticator.AuthenticateAsync(bearer));
        Assert.Equal((code, 401), (e.Code, e.HttpStatus));
    }

    [SkippableFact]
    public async Task A_wrong_secret_for_a_real_key_is_refused()
    {
        var (_, key) = await TenantWithKeyAsync("acme");
        string forged = key.KeyId + "." + key.Secret[..^1] + (key.Secret[^1] == 'A' ? 'B' : 'A');
        var e = await Assert.ThrowsAsync<PlatformException>(() => Authenticator.AuthenticateAsync(forged));
        Assert.Equal("1002", e.Code);
    }

    [SkippableFact]
    public async Task A_revoked_key_stops_working_at_once()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        Assert.True(await Admin.RevokeKeyAsync(tenant.Id, key.KeyId));
        Assert.False(await Admin.RevokeKeyAsync(tenant.Id, key.KeyId));
        var e = await Assert.ThrowsAsync<PlatformException>(() => Authenticator.AuthenticateAsync(key.ZhipuKey));
        Assert.Equal(("1004", 401), (e.Code, e.HttpStatus));
        Assert.NotNull(Assert.Single(await Admin.ListKeysAsync(tenant.Id)).RevokedAt);
    }

    [SkippableFact]
    public async Task A_tenant_cannot_list_revoke_or_limit_another_tenants_key()
    {
        var (a, keyA) = await TenantWithKeyAsync("acme");
        var (b, _) = await TenantWithKeyAsync("globex");
        Assert.DoesNotContain(await Admin.ListKeysAsync(b.Id), k => k.Id == keyA.KeyId);
        Assert.False(await Admin.RevokeKeyAsync(b.Id, keyA.KeyId));
        Assert.False(await Admin.SetKeyLimitsAsync(b.Id, keyA.KeyId, new KeyLimits(RequestsPerMinute: 1)));
        Assert.Equal(a.Id, (await Authenticator.AuthenticateAsync(keyA.ZhipuKey)).TenantId);
    }

    [SkippableFact]
    public async Task Limits_set_on_a_key_come_back_with_its_identity()
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        var limits = new KeyLimits(RequestsPerMinute: 60, TokensPerMinute: 10_000, MaxConcurrency: 2);
        Assert.True(await Admin.SetKeyLimitsAsync(tenant.Id, key.KeyId, limits));
        Assert.Equal(limits, (await Authenticator.AuthenticateAsync(key.ZhipuKey)).Limits);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_zhipu_jwt_signed_with_the_secret_authenticates_until_it_expires(bool milliseconds)
    {
        var (tenant, key) = await TenantWithKeyAsync("acme");
        long now = Clock.Now.ToUnixTimeMilliseconds();
        // Zhipu's Python SDK: ms, exp = now + 210 s. Its C# SDK: the same in seconds.
        long scale = milliseconds ? 1 : 1000;
        string token = ZhipuJwt.Sign(key.KeyId, key.Secret, (now + 210_000) / scale, now / scale);

        Assert.Equal(tenant.Id, (await Authenticator.AuthenticateAsync("Bearer " + token)).TenantId);
        Clock.Advance(TimeSpan.FromSeconds(211));
        var e = await Assert.ThrowsAsync<PlatformException>(() => Authenticator.AuthenticateAsync(token));
        Assert.Equal(("1003", 401), (e.Code, e.HttpStatus));
    }

    [SkippableFact]
    public async Task A_jwt_signed_with_another_secret_or_unsigned_is_refused()
    {
        var (_, key) = await TenantWithKeyAsync("acme");
        var (_, other) = await TenantWithKeyAsync("globex");
        long now = Clock.Now.ToUnixTimeMilliseconds();
        string forged = ZhipuJwt.Sign(key.KeyId, other.Secret, now + 60_000, now);
        string unsigned = ZhipuJwt.Unsigned(key.KeyId, now + 60_000, now);
        foreach (string token in new[] { forged, unsigned })
        {
            var e = await Assert.ThrowsAsync<PlatformException>(() => Authenticator.AuthenticateAsync(token));
            Assert.Equal(("1002", 401), (e.Code, e.HttpStatus));
        }
    }
}
