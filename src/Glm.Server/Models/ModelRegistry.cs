using System.Text.Json;
using System.Text.RegularExpressions;
using Glm.Core;

namespace Glm.Server.Models;

/// <summary>
/// The public model names a server answers to, read from a JSON file:
/// <code>
/// { "models": { "glm-4": { "checkpoint": "glm4-9b", "context_window": 131072, "max_output_tokens": 4095,
///     "default_max_tokens": 1024, "quantization": "q8_0", "kind": "chat",
///     "price_per_million_input": 100, "price_per_million_output": 100,
///     "rate_limits": { "concurrency": 8, "requests_per_minute": 600, "tokens_per_minute": 100000 },
///     "parallel": 8, "max_queue": 64 } } }
/// </code>
/// Only <c>checkpoint</c> and <c>context_window</c> are required. Immutable and thread safe.
/// </summary>
public sealed partial class ModelRegistry
{
    private static readonly string[] Quantizations = ["f32", "f16", "bf16", "q8_0", "q6_k", "q4_0"];

    /// <summary>Most requests a model decodes together (<c>parallel</c>).</summary>
    public const int MaxParallel = 64;

    private readonly Dictionary<string, ModelEntry> _byName;

    public ModelRegistry(IEnumerable<ModelEntry> entries)
    {
        _byName = new Dictionary<string, ModelEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
            if (!_byName.TryAdd(entry.Name, entry))
                throw new GlmException($"model registry: the name {entry.Name} appears twice");
    }

    /// <summary>Entries in name order.</summary>
    public IReadOnlyList<ModelEntry> Entries => _byName.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();

    public ModelEntry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Reads and validates <paramref name="path"/>; a <see cref="GlmException"/> names the file and the
    /// field at fault.</summary>
    public static ModelRegistry Load(string path)
    {
        if (!File.Exists(path))
            throw new GlmException($"{path}: model registry file not found");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new GlmException($"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Object)
                throw new GlmException($"{path}: expected an object with a \"models\" object");
            string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            return new ModelRegistry(models.EnumerateObject().Select(m => ReadEntry(path, folder, m)).ToList());
        }
    }

    private static ModelEntry ReadEntry(string file, string folder, JsonProperty model)
    {
        string at = $"models.{model.Name}";
        if (!NamePattern().IsMatch(model.Name))
            throw new GlmException($"{file}: {at}: a model name is 1-64 characters of a-z, A-Z, 0-9, '.', '_' or '-'");
        var e = model.Value;
        if (e.ValueKind != JsonValueKind.Object)
            throw new GlmException($"{file}: {at} must be an object");

        string checkpoint = String(file, at, e, "checkpoint", required: true)!;
        var kind = String(file, at, e, "kind", required: false) switch
        {
            null or "chat" => ModelKind.Chat,
            "embedding" => ModelKind.Embedding,
            var other => throw new GlmException($"{file}: {at}.kind must be \"chat\" or \"embedding\" (got \"{other}\")"),
        };
        int context = Int(file, at, e, "context_window", null, min: 1);
        int maxOutput = Int(file, at, e, "max_output_tokens", context, min: 1);
        if (maxOutput > context)
            throw new GlmException($"{file}: {at}.max_output_tokens ({maxOutput}) exceeds context_window ({context})");
        int defaultMax = Int(file, at, e, "default_max_tokens", Math.Min(1024, maxOutput), min: 1);
        if (defaultMax > maxOutput)
            throw new GlmException($"{file}: {at}.default_max_tokens ({defaultMax}) exceeds max_output_tokens ({maxOutput})");
        string? quantization = String(file, at, e, "quantization", required: false)?.ToLowerInvariant();
        if (quantization is not null && !Quantizations.Contains(quantization))
            throw new GlmException($"{file}: {at}.quantization must be one of {string.Join(", ", Quantizations)} (got \"{quantization}\")");

        var pricing = new ModelPricing(Price(file, at, e, "price_per_million_input"), Price(file, at, e, "price_per_million_output"));
        var limits = new ModelRateLimits(0, 0, 0);
        if (e.TryGetProperty("rate_limits", out var rl))
        {
            if (rl.ValueKind != JsonValueKind.Object)
                throw new GlmException($"{file}: {at}.rate_limits must be an object");
            string rat = at + ".rate_limits";
            limits = new ModelRateLimits(Int(file, rat, rl, "concurrency", 0, 0), Int(file, rat, rl, "requests_per_minute", 0, 0), Int(file, rat, rl, "tokens_per_minute", 0, 0));
        }
        int parallel = Int(file, at, e, "parallel", 8, min: 1);
        if (parallel > MaxParallel)
            throw new GlmException($"{file}: {at}.parallel must be at most {MaxParallel} (got {parallel})");
        int maxQueue = Int(file, at, e, "max_queue", 64, min: 0);
        return new ModelEntry(model.Name, kind, Path.GetFullPath(checkpoint, folder), context, maxOutput, defaultMax, quantization,
            pricing, limits, parallel, maxQueue);
    }

    private static string? String(string file, string at, JsonElement e, string field, bool required)
    {
        if (!e.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            return required ? throw new GlmException($"{file}: {at}.{field} is required") : null;
        if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length == 0)
            throw new GlmException($"{file}: {at}.{field} must be a non-empty string");
        return v.GetString();
    }

    private static int Int(string file, string at, JsonElement e, string field, int? fallback, int min)
    {
        if (!e.TryGetProperty(field, out var v))
            return fallback ?? throw new GlmException($"{file}: {at}.{field} is required");
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int value) || value < min)
            throw new GlmException($"{file}: {at}.{field} must be an integer >= {min} (got {v.GetRawText()})");
        return value;
    }

    private static decimal Price(string file, string at, JsonElement e, string field)
    {
        if (!e.TryGetProperty(field, out var v))
            return 0m;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out decimal value) || value < 0)
            throw new GlmException($"{file}: {at}.{field} must be a number >= 0 (got {v.GetRawText()})");
        return value;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();
}
