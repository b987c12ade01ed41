using System.Text.Json;
using System.Text.Json.Serialization;
using Glm.Core;

namespace Glm.Checkpoints.HuggingFace;

/// <summary>
/// Default decoding settings from a model folder's generation_config.json, with Hugging Face field names; every field
/// is optional (null when the file leaves it out). Immutable; <see cref="Validate"/> before use.
/// Read and written by <see cref="GenerationConfigFile"/>.
/// </summary>
public sealed record GenerationConfig
{
    /// <summary>Token ids that end generation. The file may hold one id or a list (GLM-4 lists three); a single id is
    /// written back as a plain number.</summary>
    [JsonPropertyName("eos_token_id")]
    [JsonConverter(typeof(TokenIdsConverter))]
    public IReadOnlyList<int>? EosTokenIds { get; init; }

    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }

    /// <summary>Longest sequence in tokens, prompt included.</summary>
    [JsonPropertyName("max_length")] public int? MaxLength { get; init; }

    [JsonPropertyName("do_sample")] public bool? DoSample { get; init; }
    [JsonPropertyName("temperature")] public double? Temperature { get; init; }
    [JsonPropertyName("top_p")] public double? TopP { get; init; }
    [JsonPropertyName("top_k")] public int? TopK { get; init; }

    /// <summary>Throws <see cref="GlmException"/> naming the first field out of range.</summary>
    public GenerationConfig Validate()
    {
        foreach (int id in EosTokenIds ?? [])
        {
            if (id < 0) throw new GlmException($"eos_token_id must hold non-negative token ids, got {id}");
        }
        if (PadTokenId < 0) throw new GlmException($"pad_token_id must be a non-negative token id, got {PadTokenId}");
        if (MaxLength <= 0) throw new GlmException($"max_length must be a positive integer, got {MaxLength}");
        if (Temperature is { } t && !(t >= 0 && double.IsFinite(t)))
            throw new GlmException($"temperature must be a finite number >= 0, got {t}");
        if (TopP is { } p && !(p > 0 && p <= 1)) throw new GlmException($"top_p must be in (0, 1], got {p}");
        if (TopK < 0) throw new GlmException($"top_k must be >= 0, got {TopK}");
        return this;
    }

    /// <summary>Reads a token id or a list of them; writes a one-element list as a plain number.</summary>
    private sealed class TokenIdsConverter : JsonConverter<IReadOnlyList<int>>
    {
        public override IReadOnlyList<int> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number) return [reader.GetInt32()];
            if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected a token id or a list of token ids");
            var ids = new List<int>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number) throw new JsonException("expected a token id (integer)");
                ids.Add(reader.GetInt32());
            }
            return ids;
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<int> value, JsonSerializerOptions options)
        {
            if (value.Count == 1)
            {
                writer.WriteNumberValue(value[0]);
                return;
            }
            writer.WriteStartArray();
            foreach (int id in value) writer.WriteNumberValue(id);
            writer.WriteEndArray();
        }
    }
}

/// <summary>Reads and writes generation_config.json. Stateless and thread-safe.</summary>
public static class GenerationConfigFile
{
    /// <summary>
    /// Reads and validates <paramref name="folder"/>/generation_config.json; null when the folder has none (the file is
    /// optional). Throws <see cref="GlmException"/> naming the file when it is malformed or out of range.
    /// </summary>
    public static GenerationConfig? TryRead(string folder)
    {
        string? path = HfFolder.Inspect(folder).GenerationConfigPath;
        if (path is null) return null;
        using var document = HfJson.ReadDocument(path);
        return HfJson.Validated(path, () => HfJson.Bind<GenerationConfig>(document.RootElement, path).Validate());
    }

    /// <summary>Validates <paramref name="config"/> and writes it to <paramref name="folder"/>/generation_config.json
    /// atomically (the folder is created if missing). Returns the path written.</summary>
    public static string Write(string folder, GenerationConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string path = Path.Combine(folder, HfFolder.GenerationConfigFileName);
        HfJson.Write(path, config.Validate());
        return path;
    }
}
