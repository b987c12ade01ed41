using System.Globalization;
using System.Text.Json;
using Glm.Core;
using Glm.Core.Configs;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// Maps <see cref="ChatGlmConfig"/> to and from the metadata of a llama.cpp <c>chatglm</c> GGUF file (glm-spec.md 2.6):
/// <c>chatglm.context_length</c> = seq_length, <c>embedding_length</c> = hidden_size, <c>feed_forward_length</c> =
/// ffn_hidden_size, <c>block_count</c> = num_layers, <c>attention.head_count(_kv)</c>,
/// <c>attention.layer_norm_rms_epsilon</c> = layernorm_epsilon, <c>rope.dimension_count</c> = kv_channels / 2,
/// <c>rope.freq_base</c> = 10000 x rope_ratio. Stateless and thread-safe.
/// </summary>
/// <remarks>
/// <para>GGUF stores epsilon and rope base as float32. Reading takes the shortest decimal that round-trips the float32
/// (1e-5 comes back as 1e-5, not 9.99999974737875e-6), so configs with decimal values survive a round trip exactly.</para>
/// <para>What GGUF has no key for is read from the tensors: padded_vocab_size from <c>token_embd</c>, add_qkv_bias and
/// add_bias_linear from the presence of <c>blk.0.attn_qkv.bias</c> / <c>blk.0.attn_output.bias</c>, tie_word_embeddings
/// from the absence of <c>output.weight</c>. multi_query_attention comes back on, with multi_query_group_num = the KV
/// head count (the same attention either way). eos/pad ids go to <c>tokenizer.ggml.eos_token_id</c> /
/// <c>padding_token_id</c>; an eos list of several ids is kept whole under <see cref="EosTokenIdsKey"/>.</para>
/// </remarks>
public static class GgufChatGlmConfig
{
    public const string ArchitectureKey = "general.architecture";
    public const string NameKey = "general.name";
    public const string FileTypeKey = "general.file_type";
    public const string EosTokenIdKey = "tokenizer.ggml.eos_token_id";
    public const string PaddingTokenIdKey = "tokenizer.ggml.padding_token_id";
    public const string AddBosTokenKey = "tokenizer.ggml.add_bos_token";

    /// <summary>GlmSharp's own key for GLM-4's several eos ids (llama.cpp reads only the first, from <see cref="EosTokenIdKey"/>).</summary>
    public const string EosTokenIdsKey = "glmsharp.eos_token_ids";

    private const string Arch = GgufGlmNames.ChatGlmArchitecture;

    /// <summary>
    /// Sets <c>general.architecture</c> = chatglm and every <c>chatglm.*</c> hyper-parameter of
    /// <paramref name="config"/> (validated first), plus eos/pad ids when the config has them.
    /// </summary>
    public static void Write(GgufWriter writer, ChatGlmConfig config)
    {
        ArgumentNullException.ThrowIfNull(writer);
        config = (config ?? throw new ArgumentNullException(nameof(config))).Validate();
        writer.SetString(ArchitectureKey, Arch);
        writer.SetUInt32($"{Arch}.context_length", (uint)config.SeqLength);
        writer.SetUInt32($"{Arch}.embedding_length", (uint)config.HiddenSize);
        writer.SetUInt32($"{Arch}.feed_forward_length", (uint)config.FfnHiddenSize);
        writer.SetUInt32($"{Arch}.block_count", (uint)config.NumLayers);
        writer.SetUInt32($"{Arch}.attention.head_count", (uint)config.NumAttentionHeads);
        writer.SetUInt32($"{Arch}.attention.head_count_kv", (uint)config.KvHeads);
        writer.SetUInt32($"{Arch}.attention.key_length", (uint)config.KvChannels);
        writer.SetUInt32($"{Arch}.attention.value_length", (uint)config.KvChannels);
        writer.SetFloat32($"{Arch}.attention.layer_norm_rms_epsilon", (float)config.LayerNormEpsilon);
        writer.SetUInt32($"{Arch}.rope.dimension_count", (uint)config.RotaryDim);
        writer.SetFloat32($"{Arch}.rope.freq_base", (float)config.RopeBase);
        writer.SetBool(AddBosTokenKey, false);
        var eos = EosIds(config.EosTokenId);
        if (eos.Count > 0) writer.SetUInt32(EosTokenIdKey, (uint)eos[0]);
        if (eos.Count > 1) writer.Set(EosTokenIdsKey, GgufValue.Array(eos.Select(id => (uint)id)));
        if (config.PadTokenId is { } pad) writer.SetUInt32(PaddingTokenIdKey, (uint)pad);
    }

    /// <summary>
    /// Reads the config of a <c>chatglm</c> GGUF file (see the remarks for what comes from tensors). Throws
    /// <see cref="GlmException"/> naming the file and key when the architecture is not chatglm, a key is missing or of
    /// the wrong type, or the values do not make a valid config. <paramref name="torchDtype"/> is recorded as the
    /// config's torch_dtype.
    /// </summary>
    public static ChatGlmConfig Read(GgufFile file, string torchDtype = "float32")
    {
        ArgumentNullException.ThrowIfNull(file);
        var meta = file.Metadata;
        string arch = meta.GetString(ArchitectureKey);
        if (arch != Arch)
            throw new GlmException($"GGUF file {file.Path} has architecture '{arch}'; a ChatGLM config is read from '{Arch}' files");
        int heads = Int(meta, "attention.head_count");
        int hidden = Int(meta, "embedding_length");
        int headDim = meta.ContainsKey($"{Arch}.attention.key_length")
            ? Int(meta, "attention.key_length")
            : 2 * Int(meta, "rope.dimension_count");
        var embedding = file.GetInfo("token_embd.weight");
        if (embedding.Dims.Length != 2 || embedding.Dims[0] != hidden)
            throw new GlmException($"GGUF file {file.Path}: tensor 'token_embd.weight' has dims {embedding.DimsText}; expected [{hidden}, vocab]");
        var config = new ChatGlmConfig
        {
            PaddedVocabSize = embedding.Dims[1] <= int.MaxValue ? (int)embedding.Dims[1]
                : throw new GlmException($"GGUF file {file.Path}: tensor 'token_embd.weight' has {embedding.Dims[1]} rows, too many"),
            HiddenSize = hidden,
            NumLayers = Int(meta, "block_count"),
            NumAttentionHeads = heads,
            KvChannels = headDim,
            MultiQueryAttention = true,
            MultiQueryGroupNum = meta.ContainsKey($"{Arch}.attention.head_count_kv") ? Int(meta, "attention.head_count_kv") : heads,
            FfnHiddenSize = Int(meta, "feed_forward_length"),
            SeqLength = Int(meta, "context_length"),
            LayerNormEpsilon = Decimal(meta.GetFloat32($"{Arch}.attention.layer_norm_rms_epsilon")),
            RopeRatio = meta.TryGetFloat32($"{Arch}.rope.freq_base", out float ropeBase) ? Decimal(ropeBase) / 10000.0 : 1.0,
            AddQkvBias = file.Contains("blk.0.attn_qkv.bias"),
            AddBiasLinear = file.Contains("blk.0.attn_output.bias"),
            TieWordEmbeddings = !file.Contains("output.weight"),
            EosTokenId = ReadEos(meta),
            PadTokenId = meta.TryGetInt32(PaddingTokenIdKey, out int pad) ? pad : null,
            TorchDtype = torchDtype,
        };
        try
        {
            config = config.Validate();
        }
        catch (GlmException e)
        {
            throw new GlmException($"GGUF file {file.Path}: the chatglm metadata does not make a valid config: {e.Message}", e);
        }
        if (meta.TryGetUInt32($"{Arch}.rope.dimension_count", out uint rope) && rope != config.RotaryDim)
            throw new GlmException($"GGUF file {file.Path}: '{Arch}.rope.dimension_count' is {rope}, but GlmSharp's ChatGLM " +
                $"rotates half of each {headDim}-dim head ({config.RotaryDim})");
        return config;
    }

    /// <summary>The shortest decimal that round-trips <paramref name="value"/> as float32, as a double.</summary>
    public static double Decimal(float value) =>
        double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>A <c>chatglm.*</c> integer that fits an int (GlmException naming the key otherwise).</summary>
    private static int Int(GgufMetadata meta, string key) => meta.GetInt32($"{Arch}.{key}");

    /// <summary>The ids of a config.json eos_token_id (a number, a list, or absent).</summary>
    internal static List<int> EosIds(JsonElement? eosTokenId)
    {
        if (eosTokenId is not { } eos) return [];
        return eos.ValueKind switch
        {
            JsonValueKind.Number => [eos.GetInt32()],
            JsonValueKind.Array => eos.EnumerateArray().Select(item => item.GetInt32()).ToList(),
            JsonValueKind.Null => [],
            _ => throw new GlmException($"eos_token_id must be a token id or a list of them, got {eos.GetRawText()}"),
        };
    }

    /// <summary>The eos id(s) a GGUF file records, as config.json would write them.</summary>
    internal static JsonElement? ReadEos(GgufMetadata meta)
    {
        if (meta.TryGetArray<uint>(EosTokenIdsKey, out var ids))
            return JsonSerializer.SerializeToElement(ids.Select(id => (long)id).ToArray());
        return meta.TryGetUInt32(EosTokenIdKey, out uint eos) ? JsonSerializer.SerializeToElement((long)eos) : null;
    }
}
