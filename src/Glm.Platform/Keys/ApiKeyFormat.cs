namespace Glm.Platform;

/// <summary>The shapes a bearer value can take: a raw key in either form, or a JWT.</summary>
internal static class ApiKeyFormat
{
    public const string OpenAiPrefix = "sk-";

    /// <summary>Splits <c>id.secret</c> or <c>sk-id.secret</c>; false when it is neither.</summary>
    public static bool TrySplitRawKey(string bearer, out string keyId, out string secret)
    {
        string key = bearer.StartsWith(OpenAiPrefix, StringComparison.Ordinal) ? bearer[OpenAiPrefix.Length..] : bearer;
        int dot = key.IndexOf('.');
        bool ok = dot > 0 && dot < key.Length - 1 && key.IndexOf('.', dot + 1) < 0;
        keyId = ok ? key[..dot] : "";
        secret = ok ? key[(dot + 1)..] : "";
        return ok;
    }

    /// <summary>A JWT has three dot-separated parts.</summary>
    public static bool LooksLikeJwt(string bearer) => bearer.Count(c => c == '.') == 2;
}
