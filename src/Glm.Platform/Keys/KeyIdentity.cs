namespace Glm.Platform;

/// <summary>Who a request is from, once authenticated, with the key's limits as stored at that moment.</summary>
public sealed record KeyIdentity(string TenantId, string KeyId, KeyLimits Limits);
