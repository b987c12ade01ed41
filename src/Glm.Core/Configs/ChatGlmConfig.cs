using System.Text.Json.Serialization;

namespace Glm.Core.Configs;

/// <summary>
/// Hyper-parameters of the ChatGLM2/3 and GLM-4 decoder (glm-spec.md 2.3), with the field names of their Hugging Face
/// config.json. A real glm-4-9b or chatglm3-6b config.json deserializes into this record unchanged.
/// Immutable; <see cref="Validate"/> before use.
/// </summary>
public sealed record ChatGlmConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "chatglm";
    [JsonPropertyName("architectures")] public string[] Architectures { get; init; } = ["ChatGLMModel"];

    /// <summary>Rows of the embedding and output tables (V); may exceed the tokenizer's vocabulary.</summary>
    [JsonPropertyName("padded_vocab_size")] public int PaddedVocabSize { get; init; }

    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; }
    [JsonPropertyName("num_layers")] public int NumLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; }

    /// <summary>Head dimension D.</summary>
    [JsonPropertyName("kv_channels")] public int KvChannels { get; init; }

    [JsonPropertyName("multi_query_attention")] public bool MultiQueryAttention { get; init; } = true;

    /// <summary>Number of KV heads (Hkv) when <see cref="MultiQueryAttention"/> is on.</summary>
    [JsonPropertyName("multi_query_group_num")] public int MultiQueryGroupNum { get; init; } = 2;

    [JsonPropertyName("ffn_hidden_size")] public int FfnHiddenSize { get; init; }

    /// <summary>Context window in tokens.</summary>
    [JsonPropertyName("seq_length")] public int SeqLength { get; init; }

    [JsonPropertyName("layernorm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-5;
    [JsonPropertyName("rmsnorm")] public bool RmsNorm { get; init; } = true;
    [JsonPropertyName("add_qkv_bias")] public bool AddQkvBias { get; init; } = true;
    [JsonPropertyName("add_bias_linear")] public bool AddBiasLinear { get; init; }
    [JsonPropertyName("post_layer_norm")] public bool PostLayerNorm { get; init; } = true;
    [JsonPropertyName("apply_residual_connection_post_layernorm")] public bool ApplyResidualConnectionPostLayernorm { get; init; }
    [JsonPropertyName("original_rope")] public bool OriginalRope { get; init; } = true;

    /// <summary>RoPE base multiplier: base = 10000 x rope_ratio (GLM-4 chat uses 500).</summary>
    [JsonPropertyName("rope_ratio")] public double RopeRatio { get; init; } = 1.0;

    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }

    /// <summary>One id or several (GLM-4 lists three); kept as written.</summary>
    [JsonPropertyName("eos_token_id")] public System.Text.Json.JsonElement? EosTokenId { get; init; }
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }
    [JsonPropertyName("torch_dtype")] public string TorchDtype { get; init; } = "bfloat16";

    /// <summary>Number of KV heads Hkv actually used.</summary>
    [JsonIgnore] public int KvHeads => MultiQueryAttention ? MultiQueryGroupNum : NumAttentionHeads;

    /// <summary>Rows of the fused query_key_value projection: H*D + 2*Hkv*D.</summary>
    [JsonIgnore] public int QkvSize => NumAttentionHeads * KvChannels + 2 * KvHeads * KvChannels;

    /// <summary>Dimensions rotated by RoPE: the first half of each head.</summary>
    [JsonIgnore] public int RotaryDim => KvChannels / 2;

    [JsonIgnore] public double RopeBase => 10000.0 * RopeRatio;

    /// <summary>Throws <see cref="GlmException"/> naming the first field that does not fit.</summary>
    public ChatGlmConfig Validate()
    {
        ConfigChecks.Positive(PaddedVocabSize, "padded_vocab_size");
        ConfigChecks.Positive(HiddenSize, "hidden_size");
        ConfigChecks.Positive(NumLayers, "num_layers");
        ConfigChecks.Positive(NumAttentionHeads, "num_attention_heads");
        ConfigChecks.Positive(KvChannels, "kv_channels");
        ConfigChecks.Positive(KvHeads, "multi_query_group_num");
        ConfigChecks.Positive(FfnHiddenSize, "ffn_hidden_size");
        ConfigChecks.Positive(SeqLength, "seq_length");
        ConfigChecks.Epsilon(LayerNormEpsilon, "layernorm_epsilon");
        if (NumAttentionHeads % KvHeads != 0)
            throw new GlmException($"num_attention_heads {NumAttentionHeads} is not a multiple of multi_query_group_num {KvHeads}");
        if (KvChannels % 4 != 0)
            throw new GlmException($"kv_channels {KvChannels} must be a multiple of 4 (RoPE rotates pairs in the first half of each head)");
        if (!RmsNorm)
            throw new GlmException("rmsnorm=false (LayerNorm in the ChatGLM2+ decoder) is not supported");
        if (RopeRatio <= 0 || double.IsNaN(RopeRatio))
            throw new GlmException($"rope_ratio must be positive, got {RopeRatio}");
        return this;
    }
}
