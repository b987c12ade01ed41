namespace Glm.Server.Models;

/// <summary>What a served model does: answer chat completions or produce embeddings.</summary>
public enum ModelKind
{
    Chat,
    Embedding,
}

/// <summary>Prices in the price book's currency per million tokens; billing is the platform's job.</summary>
public sealed record ModelPricing(decimal InputPerMillion, decimal OutputPerMillion);

/// <summary>Per-key limits the platform enforces; 0 means unlimited.</summary>
public sealed record ModelRateLimits(int Concurrency, int RequestsPerMinute, int TokensPerMinute);

/// <summary>
/// One public model name of the registry and how it is served. Immutable; validated by
/// <see cref="ModelRegistry.Load(string)"/>. <see cref="Checkpoint"/> is an absolute path (a relative path in the
/// file is resolved against the file's folder). <see cref="Parallel"/> requests are decoded together (continuous
/// batching, one KV cache of <see cref="ContextWindow"/> tokens each); up to <see cref="MaxQueue"/> more wait for a
/// slot, and the next one is refused with 1302 (HTTP 429).
/// </summary>
public sealed record ModelEntry(
    string Name,
    ModelKind Kind,
    string Checkpoint,
    int ContextWindow,
    int MaxOutputTokens,
    int DefaultMaxTokens,
    string? Quantization,
    ModelPricing Pricing,
    ModelRateLimits RateLimits,
    int Parallel = 8,
    int MaxQueue = 64);
