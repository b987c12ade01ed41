using System.Security.Cryptography;
using System.Text;

namespace Glm.Platform.Tests;

/// <summary>
/// Builds tokens the way Zhipu's SDKs do (zhipuai core/_jwt_token.py), by hand and independently of the JWT library
/// the server uses: base64url(header).base64url(payload).base64url(HMAC-SHA256(secret, the first two parts)).
/// </summary>
public static class ZhipuJwt
{
    public static string Sign(string keyId, string secret, long exp, long timestamp)
    {
        string signingInput = Part("""{"alg":"HS256","sign_type":"SIGN"}""") + "." + Payload(keyId, exp, timestamp);
        byte[] mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url(mac);
    }

    public static string Unsigned(string keyId, long exp, long timestamp) =>
        Part("""{"alg":"none","sign_type":"SIGN"}""") + "." + Payload(keyId, exp, timestamp) + ".";

    private static string Payload(string keyId, long exp, long timestamp) =>
        Part($$"""{"api_key":"{{keyId}}","exp":{{exp}},"timestamp":{{timestamp}}}""");

    private static string Part(string json) => Base64Url(Encoding.UTF8.GetBytes(json));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
