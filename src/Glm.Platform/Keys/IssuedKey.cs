namespace Glm.Platform;

/// <summary>
/// A key just created: the only time its secret is shown. Both forms name the same key record.
/// </summary>
public sealed record IssuedKey(string TenantId, string KeyId, string Secret)
{
    /// <summary>Zhipu form, <c>{id}.{secret}</c>, for the <c>zhipuai</c> SDKs and <c>/api/paas/v4</c>.</summary>
    public string ZhipuKey => $"{KeyId}.{Secret}";

    /// <summary>OpenAI form, <c>sk-{id}.{secret}</c>, for OpenAI SDKs and <c>/v1</c>.</summary>
    public string OpenAiKey => ApiKeyFormat.OpenAiPrefix + ZhipuKey;
}
