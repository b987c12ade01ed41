using System.Text.Json;
using System.Text.Json.Serialization;
using Glm.Core;

namespace Glm.Training.Data;

/// <summary>
/// Where a <see cref="PackedTokenStream"/> stands, exactly: a stream opened at this position yields the same chunks
/// the saved stream would have yielded next (given the same corpus, encoder and options). The first three fields
/// place the token stream at the start of the current shuffle window: pass <see cref="Epoch"/>, segment
/// <see cref="Segment"/> of that pass's segment sequence, token <see cref="TokenOffset"/> of that segment's tokens
/// (end-of-text included). <see cref="Taken"/> chunks of window <see cref="Window"/> were already yielded.
/// Serializes with System.Text.Json (snake_case names).
/// </summary>
public sealed record StreamPosition
{
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [JsonPropertyName("segment")] public long Segment { get; init; }
    [JsonPropertyName("token_offset")] public int TokenOffset { get; init; }
    [JsonPropertyName("window")] public long Window { get; init; }
    [JsonPropertyName("taken")] public int Taken { get; init; }

    /// <summary>The beginning of the first pass.</summary>
    public static StreamPosition Start { get; } = new();

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Parses <see cref="ToJson"/>'s output; throws <see cref="GlmException"/> for anything else.</summary>
    public static StreamPosition Parse(string json)
    {
        StreamPosition? position;
        try
        {
            position = JsonSerializer.Deserialize<StreamPosition>(json);
        }
        catch (JsonException e)
        {
            throw new GlmException($"not a stream position: {e.Message}", e);
        }
        return (position ?? throw new GlmException("not a stream position: null")).Validate();
    }

    /// <summary>Throws <see cref="GlmException"/> if a field is negative.</summary>
    public StreamPosition Validate()
    {
        if (Epoch < 0 || Segment < 0 || TokenOffset < 0 || Window < 0 || Taken < 0)
            throw new GlmException($"stream position has a negative field: {ToJson()}");
        return this;
    }
}
