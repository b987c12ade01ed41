using System.Text.Json.Serialization;

namespace Glm.Core.Configs;

/// <summary>
/// Hyper-parameters of the original GLM (glm-spec.md 1.1), with the field names of Hugging Face
/// <c>THUDM/glm-*</c> config.json files. Immutable; <see cref="Validate"/> before use.
/// </summary>
public sealed record GlmConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "glm";
    [JsonPropertyName("architectures")] public string[] Architectures { get; init; } = ["GLMModel"];
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; }
    [JsonPropertyName("num_layers")] public int NumLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; }

    /// <summary>Largest position id + 1 is <c>MaxSequenceLength + 1</c> rows in each position table.</summary>
    [JsonPropertyName("max_sequence_length")] public int MaxSequenceLength { get; init; }

    /// <summary>MLP width; the paper uses 4 x hidden. Not in upstream configs, so it defaults to that.</summary>
    [JsonPropertyName("intermediate_size")] public int? IntermediateSize { get; init; }

    [JsonPropertyName("layernorm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-5;
    [JsonPropertyName("block_position_encoding")] public bool BlockPositionEncoding { get; init; } = true;
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; init; }
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }
    [JsonPropertyName("torch_dtype")] public string TorchDtype { get; init; } = "float32";

    [JsonIgnore] public int FfnSize => IntermediateSize ?? 4 * HiddenSize;
    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Throws <see cref="GlmException"/> naming the first field that does not fit.</summary>
    public GlmConfig Validate()
    {
        ConfigChecks.Positive(VocabSize, "vocab_size");
        ConfigChecks.Positive(HiddenSize, "hidden_size");
        ConfigChecks.Positive(NumLayers, "num_layers");
        ConfigChecks.Positive(NumAttentionHeads, "num_attention_heads");
        ConfigChecks.Positive(MaxSequenceLength, "max_sequence_length");
        ConfigChecks.Positive(FfnSize, "intermediate_size");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new GlmException($"hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}");
        ConfigChecks.Epsilon(LayerNormEpsilon, "layernorm_epsilon");
        return this;
    }
}
