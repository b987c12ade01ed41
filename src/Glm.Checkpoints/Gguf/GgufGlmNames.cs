using System.Text.RegularExpressions;
using Glm.Core.Configs;

namespace Glm.Checkpoints.Gguf;

/// <summary>One tensor of a ChatGLM2/3 / GLM-4 checkpoint under both names, with its shape.</summary>
/// <param name="Hf">The Hugging Face name, e.g. <c>transformer.encoder.layers.0.self_attention.query_key_value.weight</c>.</param>
/// <param name="Gguf">The llama.cpp <c>chatglm</c> name, e.g. <c>blk.0.attn_qkv.weight</c>.</param>
/// <param name="Shape">PyTorch / row-major shape, outermost first (GGUF dims are this reversed).</param>
public sealed record GlmTensorName(string Hf, string Gguf, long[] Shape);

/// <summary>
/// Tensor names of the ChatGLM2/3 / GLM-4 checkpoint (glm-spec.md 2.5) and of llama.cpp's <c>chatglm</c>
/// architecture (glm-spec.md 2.6), both ways. The data needs no permutation: an HF <c>[out, in]</c> row-major weight
/// has the same bytes as GGUF dims <c>[in, out]</c>. <c>ffn_up</c> is the fused <c>dense_h_to_4h</c> (gate rows
/// first, then up). Stateless and thread-safe.
/// </summary>
public static partial class GgufGlmNames
{
    /// <summary>The <c>general.architecture</c> value for ChatGLM2/3 and GLM-4-9B.</summary>
    public const string ChatGlmArchitecture = "chatglm";

    /// <summary>The <c>general.architecture</c> value for GLM-4-0414 (sandwich norms, separate q/k/v).</summary>
    public const string Glm4Architecture = "glm4";

    private const string HfLayer = "transformer.encoder.layers.";

    /// <summary>Whole-model tensors: (HF name, GGUF name).</summary>
    private static readonly (string Hf, string Gguf)[] Globals =
    [
        ("transformer.embedding.word_embeddings.weight", "token_embd.weight"),
        ("transformer.encoder.final_layernorm.weight", "output_norm.weight"),
        ("transformer.output_layer.weight", "output.weight"),
    ];

    /// <summary>Per-layer tensors: (HF suffix after <c>layers.N.</c>, GGUF suffix after <c>blk.N.</c>).</summary>
    private static readonly (string Hf, string Gguf)[] PerLayer =
    [
        ("input_layernorm.weight", "attn_norm.weight"),
        ("self_attention.query_key_value.weight", "attn_qkv.weight"),
        ("self_attention.query_key_value.bias", "attn_qkv.bias"),
        ("self_attention.dense.weight", "attn_output.weight"),
        ("self_attention.dense.bias", "attn_output.bias"),
        ("post_attention_layernorm.weight", "ffn_norm.weight"),
        ("mlp.dense_h_to_4h.weight", "ffn_up.weight"),
        ("mlp.dense_h_to_4h.bias", "ffn_up.bias"),
        ("mlp.dense_4h_to_h.weight", "ffn_down.weight"),
        ("mlp.dense_4h_to_h.bias", "ffn_down.bias"),
    ];

    [GeneratedRegex(@"^transformer\.encoder\.layers\.(\d+)\.(.+)$")]
    private static partial Regex HfLayerPattern();

    [GeneratedRegex(@"^blk\.(\d+)\.(.+)$")]
    private static partial Regex GgufLayerPattern();

    /// <summary>
    /// True for HF tensors a converter drops: the RoPE <c>inv_freq</c> buffers, which the engine recomputes.
    /// </summary>
    public static bool IsIgnoredHf(string hfName) => hfName.EndsWith(".inv_freq", StringComparison.Ordinal);

    /// <summary>The GGUF name of HF tensor <paramref name="hfName"/>; false when it is not a ChatGLM2/3 / GLM-4 tensor.</summary>
    public static bool TryToGguf(string hfName, out string ggufName)
    {
        foreach (var (hf, gguf) in Globals)
        {
            if (hf == hfName)
            {
                ggufName = gguf;
                return true;
            }
        }
        var match = HfLayerPattern().Match(hfName);
        if (match.Success && CanonicalLayer(match.Groups[1].Value) is { } layer)
        {
            foreach (var (hf, gguf) in PerLayer)
            {
                if (hf == match.Groups[2].Value)
                {
                    ggufName = $"blk.{layer}.{gguf}";
                    return true;
                }
            }
        }
        ggufName = "";
        return false;
    }

    /// <summary>The HF name of <c>chatglm</c> GGUF tensor <paramref name="ggufName"/>; false when the name is not one.</summary>
    public static bool TryToHf(string ggufName, out string hfName)
    {
        foreach (var (hf, gguf) in Globals)
        {
            if (gguf == ggufName)
            {
                hfName = hf;
                return true;
            }
        }
        var match = GgufLayerPattern().Match(ggufName);
        if (match.Success && CanonicalLayer(match.Groups[1].Value) is { } layer)
        {
            foreach (var (hf, gguf) in PerLayer)
            {
                if (gguf == match.Groups[2].Value)
                {
                    hfName = $"{HfLayer}{layer}.{hf}";
                    return true;
                }
            }
        }
        hfName = "";
        return false;
    }

    /// <summary>
    /// Every tensor a checkpoint of <paramref name="config"/> holds, in HF order (embedding, layers, final norm, output):
    /// biases follow <c>add_qkv_bias</c> / <c>add_bias_linear</c>, and <c>output_layer</c> is left out when
    /// <c>tie_word_embeddings</c> is set.
    /// </summary>
    public static IReadOnlyList<GlmTensorName> ChatGlmTensors(ChatGlmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long c = config.HiddenSize, v = config.PaddedVocabSize, f = config.FfnHiddenSize, qkv = config.QkvSize;
        long attnOut = (long)config.NumAttentionHeads * config.KvChannels;
        var names = new List<GlmTensorName> { Named(Globals[0], [v, c]) };
        for (int i = 0; i < config.NumLayers; i++)
        {
            names.Add(Layer(i, 0, [c]));
            names.Add(Layer(i, 1, [qkv, c]));
            if (config.AddQkvBias) names.Add(Layer(i, 2, [qkv]));
            names.Add(Layer(i, 3, [c, attnOut]));
            if (config.AddBiasLinear) names.Add(Layer(i, 4, [c]));
            names.Add(Layer(i, 5, [c]));
            names.Add(Layer(i, 6, [2 * f, c]));
            if (config.AddBiasLinear) names.Add(Layer(i, 7, [2 * f]));
            names.Add(Layer(i, 8, [c, f]));
            if (config.AddBiasLinear) names.Add(Layer(i, 9, [c]));
        }
        names.Add(Named(Globals[1], [c]));
        if (!config.TieWordEmbeddings) names.Add(Named(Globals[2], [v, c]));
        return names;
    }

    private static GlmTensorName Named((string Hf, string Gguf) pair, long[] shape) => new(pair.Hf, pair.Gguf, shape);

    private static GlmTensorName Layer(int layer, int index, long[] shape) =>
        new($"{HfLayer}{layer}.{PerLayer[index].Hf}", $"blk.{layer}.{PerLayer[index].Gguf}", shape);

    /// <summary>The layer number as written without leading zeros, or null (so "01" never aliases "1").</summary>
    private static int? CanonicalLayer(string digits) =>
        int.TryParse(digits, out int layer) && layer.ToString() == digits ? layer : null;
}
