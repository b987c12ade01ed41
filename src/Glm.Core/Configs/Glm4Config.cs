using System.Text.Json;
using System.Text.Json.Serialization;

namespace Glm.Core.Configs;

/// <summary>
/// Hyper-parameters of the GLM-4-0414 decoder (transformers' <c>Glm4ForCausalLM</c>, model_type "glm4"; glm-spec.md
/// 2.5): the ChatGLM2/3 / GLM-4 layer with separate q/k/v projections and "sandwich" norms after each sublayer. A real
/// GLM-4-9B-0414 or GLM-4-32B-0414 config.json deserializes into this record unchanged; newer transformers move the
/// RoPE fields into <c>rope_parameters</c>, which is read too. Immutable; <see cref="Validate"/> before use.
/// </summary>
public sealed record Glm4Config
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "glm4";
    [JsonPropertyName("architectures")] public string[] Architectures { get; init; } = ["Glm4ForCausalLM"];

    /// <summary>Rows of the embedding and output tables (V); may exceed the tokenizer's vocabulary.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }

    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; }

    /// <summary>F: each of the gate and up halves of <c>gate_up_proj</c> has this many rows.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; }

    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; }
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; init; }

    /// <summary>Head dimension D; hidden_size / num_attention_heads when absent.</summary>
    [JsonPropertyName("head_dim")] public int? HeadDimension { get; init; }

    /// <summary>Share of each head RoPE rotates (0.5 in every GLM-4-0414 checkpoint); see <see cref="RotaryDim"/>.</summary>
    [JsonPropertyName("partial_rotary_factor")] public double? PartialRotaryFactor { get; init; }

    /// <summary>RoPE base; see <see cref="RopeBase"/>.</summary>
    [JsonPropertyName("rope_theta")] public double? RopeTheta { get; init; }

    /// <summary>Newer transformers' home of rope_theta and partial_rotary_factor.</summary>
    [JsonPropertyName("rope_parameters")] public Glm4RopeParameters? RopeParameters { get; init; }

    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1.5625e-07;

    /// <summary>Context window in tokens.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; }

    /// <summary>Bias on q_proj, k_proj and v_proj (o_proj and the MLP never have one).</summary>
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; } = true;

    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }

    /// <summary>One id or several (GLM-4-0414 lists three); kept as written.</summary>
    [JsonPropertyName("eos_token_id")] public JsonElement? EosTokenId { get; init; }
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }
    [JsonPropertyName("torch_dtype")] public string TorchDtype { get; init; } = "bfloat16";

    /// <summary>D actually used.</summary>
    [JsonIgnore] public int HeadDim => HeadDimension ?? (NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0);

    /// <summary>Dimensions rotated at the start of each head: D · partial_rotary_factor (default 0.5).</summary>
    [JsonIgnore] public int RotaryDim => (int)(HeadDim * (PartialRotaryFactor ?? RopeParameters?.PartialRotaryFactor ?? 0.5));

    [JsonIgnore] public double RopeBase => RopeTheta ?? RopeParameters?.RopeTheta ?? 10000.0;

    /// <summary>Throws <see cref="GlmException"/> naming the first field that does not fit.</summary>
    public Glm4Config Validate()
    {
        ConfigChecks.Positive(VocabSize, "vocab_size");
        ConfigChecks.Positive(HiddenSize, "hidden_size");
        ConfigChecks.Positive(IntermediateSize, "intermediate_size");
        ConfigChecks.Positive(NumHiddenLayers, "num_hidden_layers");
        ConfigChecks.Positive(NumAttentionHeads, "num_attention_heads");
        ConfigChecks.Positive(NumKeyValueHeads, "num_key_value_heads");
        ConfigChecks.Positive(HeadDim, "head_dim");
        ConfigChecks.Positive(MaxPositionEmbeddings, "max_position_embeddings");
        ConfigChecks.Epsilon(RmsNormEps, "rms_norm_eps");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new GlmException($"num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}");
        if (RotaryDim <= 0 || RotaryDim % 2 != 0 || RotaryDim > HeadDim)
            throw new GlmException($"head_dim {HeadDim} x partial_rotary_factor gives {RotaryDim} rotary dims; RoPE needs an even number from 2 to head_dim");
        if (!(RopeBase > 1) || double.IsInfinity(RopeBase))
            throw new GlmException($"rope_theta must be a finite number above 1, got {RopeBase}");
        return this;
    }
}

/// <summary>The <c>rope_parameters</c> object of newer transformers configs.</summary>
public sealed record Glm4RopeParameters
{
    [JsonPropertyName("rope_theta")] public double? RopeTheta { get; init; }
    [JsonPropertyName("partial_rotary_factor")] public double? PartialRotaryFactor { get; init; }
}
