using Glm.Core;

namespace Glm.Checkpoints.Gguf;

/// <summary>Hyper-parameters of a <c>chatglm</c> or <c>glm4</c> GGUF file, under llama.cpp's meanings.</summary>
/// <param name="VocabSize">Rows of <c>token_embd</c> (V, the padded vocabulary).</param>
/// <param name="HeadDim">D: <c>attention.key_length</c>, else embedding_length / head_count.</param>
/// <param name="RopeDimensionCount">Dims rotated per head (D/2 for GLM); adjacent pairs (llama.cpp rope type NORM).</param>
public sealed record GgufGlmHyperParameters(
    string Architecture,
    int VocabSize,
    int ContextLength,
    int EmbeddingLength,
    int FeedForwardLength,
    int BlockCount,
    int HeadCount,
    int HeadCountKv,
    int HeadDim,
    float RmsEpsilon,
    int RopeDimensionCount,
    float RopeFreqBase);

/// <summary>
/// GGUF tensor names of one decoder layer; null where the file lacks the optional tensor. Attention is either fused
/// (<see cref="AttnQkv"/>) or split (<see cref="AttnQ"/>/<see cref="AttnK"/>/<see cref="AttnV"/>). The FFN is either
/// fused (<see cref="FfnUp"/> holds gate rows then up rows, <see cref="FfnGate"/> null) or split.
/// <see cref="PostAttentionNorm"/> and <see cref="PostFfwNorm"/> are glm4's sandwich norms, applied to the sublayer
/// output before the residual add (not HF's <c>post_attention_layernorm</c>, which is <see cref="FfnNorm"/>).
/// </summary>
public sealed record GgufGlmLayerTensors(
    int Index,
    string AttnNorm,
    string? AttnQkv,
    string? AttnQkvBias,
    string? AttnQ,
    string? AttnK,
    string? AttnV,
    string? AttnQBias,
    string? AttnKBias,
    string? AttnVBias,
    string AttnOutput,
    string? AttnOutputBias,
    string? PostAttentionNorm,
    string FfnNorm,
    string? FfnGate,
    string FfnUp,
    string FfnDown,
    string? PostFfwNorm);

/// <summary>
/// What an engine needs to run a <c>chatglm</c> (ChatGLM2/3, GLM-4-9B) or <c>glm4</c> (GLM-4-0414) GGUF file: its
/// hyper-parameters and the tensor names present, checked against the expected shapes. Immutable.
/// </summary>
/// <param name="Output">The output projection: <c>output.weight</c>, or <c>token_embd.weight</c> when the file ties them.</param>
public sealed record GgufGlmLayout(
    GgufGlmHyperParameters HyperParameters,
    string TokenEmbedding,
    string OutputNorm,
    string Output,
    IReadOnlyList<GgufGlmLayerTensors> Layers)
{
    /// <summary>
    /// Describes <paramref name="file"/>. Throws <see cref="GlmException"/> naming the file and the key or tensor when
    /// the architecture is neither chatglm nor glm4, a hyper-parameter is missing, a required tensor is absent, or a
    /// tensor's shape does not fit the hyper-parameters.
    /// </summary>
    public static GgufGlmLayout Read(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string arch = file.Metadata.GetString(GgufChatGlmConfig.ArchitectureKey);
        if (arch is not (GgufGlmNames.ChatGlmArchitecture or GgufGlmNames.Glm4Architecture))
            throw new GlmException($"GGUF file {file.Path} has architecture '{arch}'; GlmSharp reads 'chatglm' and 'glm4'");
        var hp = ReadHyperParameters(file, arch);
        var check = new ShapeCheck(file);
        long c = hp.EmbeddingLength, q = (long)hp.HeadCount * hp.HeadDim, kv = (long)hp.HeadCountKv * hp.HeadDim, f = hp.FeedForwardLength;
        check.Require("token_embd.weight", [hp.VocabSize, c]);
        check.Require("output_norm.weight", [c]);
        string output = check.Optional("output.weight", [hp.VocabSize, c]) ?? "token_embd.weight";
        var layers = new List<GgufGlmLayerTensors>(hp.BlockCount);
        for (int i = 0; i < hp.BlockCount; i++)
        {
            string Name(string part) => $"blk.{i}.{part}";
            string? qkv = check.Optional(Name("attn_qkv.weight"), [q + 2 * kv, c]);
            string? wq = null, wk = null, wv = null;
            if (qkv is null)
            {
                wq = check.Require(Name("attn_q.weight"), [q, c]);
                wk = check.Require(Name("attn_k.weight"), [kv, c]);
                wv = check.Require(Name("attn_v.weight"), [kv, c]);
            }
            string? gate = check.Optional(Name("ffn_gate.weight"), [f, c]);
            layers.Add(new GgufGlmLayerTensors(
                Index: i,
                AttnNorm: check.Require(Name("attn_norm.weight"), [c]),
                AttnQkv: qkv,
                AttnQkvBias: qkv is null ? null : check.Optional(Name("attn_qkv.bias"), [q + 2 * kv]),
                AttnQ: wq,
                AttnK: wk,
                AttnV: wv,
                AttnQBias: wq is null ? null : check.Optional(Name("attn_q.bias"), [q]),
                AttnKBias: wk is null ? null : check.Optional(Name("attn_k.bias"), [kv]),
                AttnVBias: wv is null ? null : check.Optional(Name("attn_v.bias"), [kv]),
                AttnOutput: check.Require(Name("attn_output.weight"), [c, q]),
                AttnOutputBias: check.Optional(Name("attn_output.bias"), [c]),
                PostAttentionNorm: check.Optional(Name("post_attention_norm.weight"), [c]),
                FfnNorm: check.Require(Name("ffn_norm.weight"), [c]),
                FfnGate: gate,
                FfnUp: check.Require(Name("ffn_up.weight"), [gate is null ? 2 * f : f, c]),
                FfnDown: check.Require(Name("ffn_down.weight"), [c, f]),
                PostFfwNorm: check.Optional(Name("post_ffw_norm.weight"), [c])));
        }
        if (arch == GgufGlmNames.Glm4Architecture && layers.Any(l => l.PostAttentionNorm is null || l.PostFfwNorm is null))
            throw new GlmException($"GGUF file {file.Path}: a glm4 file needs post_attention_norm and post_ffw_norm in every layer");
        return new GgufGlmLayout(hp, "token_embd.weight", "output_norm.weight", output, layers);
    }

    private static GgufGlmHyperParameters ReadHyperParameters(GgufFile file, string arch)
    {
        var meta = file.Metadata;
        int Int(string key)
        {
            uint value = meta.GetUInt32($"{arch}.{key}");
            return value <= int.MaxValue ? (int)value
                : throw new GlmException($"{meta.Source}: metadata key '{arch}.{key}' is {value}, out of range");
        }
        int embedding = Int("embedding_length");
        int heads = Int("attention.head_count");
        if (heads <= 0 || embedding <= 0)
            throw new GlmException($"{meta.Source}: embedding_length {embedding} and head_count {heads} must be positive");
        int headDim = meta.ContainsKey($"{arch}.attention.key_length") ? Int("attention.key_length") : embedding / heads;
        int headsKv = meta.ContainsKey($"{arch}.attention.head_count_kv") ? Int("attention.head_count_kv") : heads;
        if (headsKv <= 0 || heads % headsKv != 0)
            throw new GlmException($"{meta.Source}: head_count {heads} is not a multiple of head_count_kv {headsKv}");
        var embd = file.GetInfo("token_embd.weight");
        if (embd.Dims.Length != 2 || embd.Dims[1] > int.MaxValue)
            throw new GlmException($"GGUF file {file.Path}: tensor 'token_embd.weight' has dims {embd.DimsText}; expected [{embedding}, vocab]");
        return new GgufGlmHyperParameters(
            Architecture: arch,
            VocabSize: (int)embd.Dims[1],
            ContextLength: Int("context_length"),
            EmbeddingLength: embedding,
            FeedForwardLength: Int("feed_forward_length"),
            BlockCount: Int("block_count"),
            HeadCount: heads,
            HeadCountKv: headsKv,
            HeadDim: headDim,
            RmsEpsilon: meta.GetFloat32($"{arch}.attention.layer_norm_rms_epsilon"),
            RopeDimensionCount: meta.ContainsKey($"{arch}.rope.dimension_count") ? Int("rope.dimension_count") : headDim / 2,
            RopeFreqBase: meta.TryGetFloat32($"{arch}.rope.freq_base", out float rope) ? rope : 10000f);
    }

    /// <summary>Looks tensors up and checks their row-major shapes.</summary>
    private sealed class ShapeCheck(GgufFile file)
    {
        public string Require(string name, long[] shape) =>
            Optional(name, shape) ?? throw new GlmException($"GGUF file {file.Path} has no tensor '{name}'");

        public string? Optional(string name, long[] shape)
        {
            var info = file.Find(name);
            if (info is null) return null;
            if (!info.Shape.AsSpan().SequenceEqual(shape))
                throw new GlmException($"GGUF file {file.Path}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}] " +
                    $"(GGUF dims {info.DimsText}); the hyper-parameters call for [{string.Join(", ", shape)}]");
            return name;
        }
    }
}
