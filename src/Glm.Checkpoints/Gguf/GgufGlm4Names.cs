using Glm.Core.Configs;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// Tensor names of a GLM-4-0414 checkpoint (transformers' <c>Glm4ForCausalLM</c>) and of llama.cpp's <c>glm4</c>
/// architecture, as its converter lays them out: q/k/v stay separate, <c>gate_up_proj</c> stays fused as
/// <c>ffn_up</c> (gate rows first), and the two sandwich norms are <c>post_attention_norm</c> (HF
/// <c>post_self_attn_layernorm</c>) and <c>post_ffw_norm</c> (HF <c>post_mlp_layernorm</c>). Naming trap: HF's
/// <c>post_attention_layernorm</c> is the pre-MLP norm, GGUF <c>ffn_norm</c>. No data permutation is needed.
/// Stateless and thread-safe.
/// </summary>
public static class GgufGlm4Names
{
    private const string HfLayer = "model.layers.";

    /// <summary>
    /// Every tensor a checkpoint of <paramref name="config"/> holds, in HF order (embedding, layers, final norm, output):
    /// q/k/v biases follow <c>attention_bias</c>, and <c>lm_head</c> is left out when <c>tie_word_embeddings</c> is set.
    /// </summary>
    public static IReadOnlyList<GlmTensorName> Tensors(Glm4Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long c = config.HiddenSize, v = config.VocabSize, f = config.IntermediateSize;
        long q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        var names = new List<GlmTensorName> { new("model.embed_tokens.weight", "token_embd.weight", [v, c]) };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            GlmTensorName Layer(string hf, string gguf, long[] shape) => new($"{HfLayer}{i}.{hf}", $"blk.{i}.{gguf}", shape);
            names.Add(Layer("input_layernorm.weight", "attn_norm.weight", [c]));
            names.Add(Layer("self_attn.q_proj.weight", "attn_q.weight", [q, c]));
            if (config.AttentionBias) names.Add(Layer("self_attn.q_proj.bias", "attn_q.bias", [q]));
            names.Add(Layer("self_attn.k_proj.weight", "attn_k.weight", [kv, c]));
            if (config.AttentionBias) names.Add(Layer("self_attn.k_proj.bias", "attn_k.bias", [kv]));
            names.Add(Layer("self_attn.v_proj.weight", "attn_v.weight", [kv, c]));
            if (config.AttentionBias) names.Add(Layer("self_attn.v_proj.bias", "attn_v.bias", [kv]));
            names.Add(Layer("self_attn.o_proj.weight", "attn_output.weight", [c, q]));
            names.Add(Layer("post_self_attn_layernorm.weight", "post_attention_norm.weight", [c]));
            names.Add(Layer("post_attention_layernorm.weight", "ffn_norm.weight", [c]));
            names.Add(Layer("mlp.gate_up_proj.weight", "ffn_up.weight", [2 * f, c]));
            names.Add(Layer("mlp.down_proj.weight", "ffn_down.weight", [c, f]));
            names.Add(Layer("post_mlp_layernorm.weight", "post_ffw_norm.weight", [c]));
        }
        names.Add(new("model.norm.weight", "output_norm.weight", [c]));
        if (!config.TieWordEmbeddings) names.Add(new("lm_head.weight", "output.weight", [v, c]));
        return names;
    }
}
