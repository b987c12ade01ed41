using System.Security.Cryptography;
using System.Text;
using Glm.Platform;

namespace Glm.Server.Tests.Robustness;

/// <summary>Zhipu's token: HS256 over <c>{"alg":"HS256","sign_type":"SIGN"}</c> and <c>{api_key, exp, timestamp}</c>,
/// with the times in milliseconds (the Python SDK) or seconds (the C# SDK).</summary>
internal static class ZhipuJwt
{
    public static string Sign(IssuedKey key, DateTimeOffset expires, bool seconds = false)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        long exp = seconds ? expires.ToUnixTimeSeconds() : expires.ToUnixTimeMilliseconds();
        long now = seconds ? DateTimeOffset.UtcNow.ToUnixTimeSeconds() : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string header = B64(Encoding.UTF8.GetBytes("""{"alg":"HS256","sign_type":"SIGN"}"""));
        string payload = B64(Encoding.UTF8.GetBytes($$"""{"api_key":"{{key.KeyId}}","exp":{{exp}},"timestamp":{{now}}}"""));
        byte[] signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key.Secret), Encoding.UTF8.GetBytes(header + "." + payload));
        return $"{header}.{payload}.{B64(signature)}";
    }
}
