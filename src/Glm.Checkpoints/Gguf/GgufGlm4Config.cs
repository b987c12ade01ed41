using Glm.Core;
using Glm.Core.Configs;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// Maps <see cref="Glm4Config"/> to and from the metadata of a llama.cpp <c>glm4</c> GGUF file (GLM-4-0414):
/// <c>glm4.context_length</c> = max_position_embeddings, <c>embedding_length</c> = hidden_size,
/// <c>feed_forward_length</c> = intermediate_size, <c>block_count</c> = num_hidden_layers,
/// <c>attention.head_count(_kv)</c>, <c>attention.key_length</c> = head_dim, <c>attention.layer_norm_rms_epsilon</c> =
/// rms_norm_eps, <c>rope.dimension_count</c> = head_dim x partial_rotary_factor, <c>rope.freq_base</c> = rope_theta.
/// vocab_size, attention_bias and tie_word_embeddings come from the tensors (<c>token_embd</c>,
/// <c>blk.0.attn_q.bias</c>, <c>output.weight</c>). Float values read back as the shortest decimal that round-trips the
/// stored float32 (<see cref="GgufChatGlmConfig.Decimal"/>). Stateless and thread-safe.
/// </summary>
public static class GgufGlm4Config
{
    private const string Arch = GgufGlmNames.Glm4Architecture;

    /// <summary>
    /// Sets <c>general.architecture</c> = glm4 and every <c>glm4.*</c> hyper-parameter of <paramref name="config"/>
    /// (validated first), <c>add_bos_token</c> = false, and eos/pad ids when the config has them.
    /// </summary>
    public static void Write(GgufWriter writer, Glm4Config config)
    {
        ArgumentNullException.ThrowIfNull(writer);
        config = (config ?? throw new ArgumentNullException(nameof(config))).Validate();
        writer.SetString(GgufChatGlmConfig.ArchitectureKey, Arch);
        writer.SetUInt32($"{Arch}.context_length", (uint)config.MaxPositionEmbeddings);
        writer.SetUInt32($"{Arch}.embedding_length", (uint)config.HiddenSize);
        writer.SetUInt32($"{Arch}.feed_forward_length", (uint)config.IntermediateSize);
        writer.SetUInt32($"{Arch}.block_count", (uint)config.NumHiddenLayers);
        writer.SetUInt32($"{Arch}.attention.head_count", (uint)config.NumAttentionHeads);
        writer.SetUInt32($"{Arch}.attention.head_count_kv", (uint)config.NumKeyValueHeads);
        writer.SetUInt32($"{Arch}.attention.key_length", (uint)config.HeadDim);
        writer.SetUInt32($"{Arch}.attention.value_length", (uint)config.HeadDim);
        writer.SetFloat32($"{Arch}.attention.layer_norm_rms_epsilon", (float)config.RmsNormEps);
        writer.SetUInt32($"{Arch}.rope.dimension_count", (uint)config.RotaryDim);
        writer.SetFloat32($"{Arch}.rope.freq_base", (float)config.RopeBase);
        writer.SetBool(GgufChatGlmConfig.AddBosTokenKey, false);
        var eos = GgufChatGlmConfig.EosIds(config.EosTokenId);
        if (eos.Count > 0) writer.SetUInt32(GgufChatGlmConfig.EosTokenIdKey, (uint)eos[0]);
        if (eos.Count > 1) writer.Set(GgufChatGlmConfig.EosTokenIdsKey, GgufValue.Array(eos.Select(id => (uint)id)));
        if (config.PadTokenId is { } pad) writer.SetUInt32(GgufChatGlmConfig.PaddingTokenIdKey, (uint)pad);
    }

    /// <summary>
    /// Reads the config of a <c>glm4</c> GGUF file. Throws <see cref="GlmException"/> naming the file and key when the
    /// architecture is not glm4, a key is missing or of the wrong type, or the values do not make a valid config.
    /// </summary>
    public static Glm4Config Read(GgufFile file, string torchDtype = "float32")
    {
        ArgumentNullException.ThrowIfNull(file);
        var layout = GgufGlmLayout.Read(file);
        var hp = layout.HyperParameters;
        if (hp.Architecture != Arch)
            throw new GlmException($"GGUF file {file.Path} has architecture '{hp.Architecture}'; a GLM-4-0414 config is read from '{Arch}' files");
        var first = layout.Layers.Count > 0 ? layout.Layers[0] : null;
        var config = new Glm4Config
        {
            VocabSize = hp.VocabSize,
            HiddenSize = hp.EmbeddingLength,
            IntermediateSize = hp.FeedForwardLength,
            NumHiddenLayers = hp.BlockCount,
            NumAttentionHeads = hp.HeadCount,
            NumKeyValueHeads = hp.HeadCountKv,
            HeadDimension = hp.HeadDim,
            PartialRotaryFactor = (double)hp.RopeDimensionCount / hp.HeadDim,
            RopeTheta = GgufChatGlmConfig.Decimal(hp.RopeFreqBase),
            RmsNormEps = GgufChatGlmConfig.Decimal(hp.RmsEpsilon),
            MaxPositionEmbeddings = hp.ContextLength,
            AttentionBias = first?.AttnQBias is not null || first?.AttnQkvBias is not null,
            TieWordEmbeddings = layout.Output == layout.TokenEmbedding,
            EosTokenId = GgufChatGlmConfig.ReadEos(file.Metadata),
            PadTokenId = file.Metadata.TryGetInt32(GgufChatGlmConfig.PaddingTokenIdKey, out int pad) ? pad : null,
            TorchDtype = torchDtype,
        };
        try
        {
            return config.Validate();
        }
        catch (GlmException e)
        {
            throw new GlmException($"GGUF file {file.Path}: the glm4 metadata does not make a valid config: {e.Message}", e);
        }
    }
}
