using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Glm.Platform;

/// <summary>
/// Turns a bearer value into the key and tenant it belongs to. Accepted: the raw key (<c>id.secret</c> or
/// <c>sk-id.secret</c>) and Zhipu's HS256 JWT signed with the key's secret (header <c>{"alg":"HS256",
/// "sign_type":"SIGN"}</c>, payload <c>api_key</c>, <c>exp</c>, <c>timestamp</c>). <c>exp</c> may be in milliseconds
/// (the Python SDK) or seconds (the C# SDK) and is enforced either way. Failures are <see cref="PlatformException"/>
/// with codes 1001-1004 and HTTP 401. Thread-safe.
/// </summary>
public sealed class ApiKeyAuthenticator(IPlatformStore store, KeySecrets secrets, TimeProvider? clock = null)
{
    // An exp above this is in milliseconds: as seconds it would be after the year 5138.
    private const long MillisecondThreshold = 100_000_000_000;

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly JsonWebTokenHandler _jwt = new();

    /// <param name="bearer">The credential, with or without a leading "Bearer ".</param>
    public async Task<KeyIdentity> AuthenticateAsync(string? bearer, CancellationToken ct = default)
    {
        string value = (bearer ?? "").Trim();
        if (value.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            value = "";
        else if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            value = value["Bearer ".Length..].Trim();
        if (value.Length == 0)
            throw PlatformException.MissingCredentials();
        if (ApiKeyFormat.LooksLikeJwt(value))
            return await FromJwtAsync(value, ct);
        if (!ApiKeyFormat.TrySplitRawKey(value, out string keyId, out string secret))
            throw PlatformException.InvalidToken("not an 'id.secret' key or a JWT");
        var key = await LiveKeyAsync(keyId, ct);
        if (!secrets.Matches(secret, key.SecretHash))
            throw PlatformException.InvalidToken("wrong secret");
        return new KeyIdentity(key.TenantId, key.Id, key.Limits);
    }

    private async Task<KeyIdentity> FromJwtAsync(string token, CancellationToken ct)
    {
        JsonWebToken jwt;
        try
        {
            jwt = _jwt.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            throw PlatformException.InvalidToken("malformed JWT");
        }
        if (!jwt.TryGetPayloadValue("api_key", out string keyId) || string.IsNullOrEmpty(keyId))
            throw PlatformException.InvalidToken("the JWT has no api_key");
        var key = await LiveKeyAsync(keyId, ct);
        string secret = secrets.SecretOf(key.Id);
        if (!secrets.Matches(secret, key.SecretHash))
            throw PlatformException.InvalidToken("the server's key pepper does not match this key");

        var result = await _jwt.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            // Checked below: the library reads exp as seconds only.
            ValidateLifetime = false,
            RequireExpirationTime = false,
        });
        if (!result.IsValid)
            throw PlatformException.InvalidToken("bad JWT signature");

        if (!jwt.TryGetPayloadValue("exp", out long exp))
            throw PlatformException.InvalidToken("the JWT has no numeric exp");
        long nowMs = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        long expMs = exp > MillisecondThreshold ? exp : exp * 1000;
        if (nowMs >= expMs)
            throw PlatformException.TokenExpired();
        return new KeyIdentity(key.TenantId, key.Id, key.Limits);
    }

    private async Task<ApiKeyRecord> LiveKeyAsync(string keyId, CancellationToken ct)
    {
        var key = await store.FindKeyAsync(keyId, ct) ?? throw PlatformException.InvalidToken("unknown key");
        return key.IsRevoked ? throw PlatformException.KeyRevoked() : key;
    }
}
