using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.Safetensors;
using Glm.Core.Configs;

namespace Glm.Inference.Loading;

/// <summary>
/// Maps a GLM-4-0414 checkpoint onto <see cref="Glm4Weights"/>: a Hugging Face <c>Glm4ForCausalLM</c> folder or a
/// llama.cpp <c>glm4</c> GGUF file. Both go through the one name table (<see cref="GgufGlm4Names"/>), by HF or GGUF name.
/// </summary>
internal static class Glm4WeightReader
{
    public static Glm4Weights FromHf(SafetensorsModel model, Glm4Config config) => Build(
        config,
        t => HfWeightReader.Matrix(model, t.Hf, (int)t.Shape[0], (int)t.Shape[1]),
        t => HfWeightReader.Vector(model, t.Hf, (int)t.Shape[0]));

    /// <summary>Reads the config from the file's <c>glm4.*</c> metadata and tensors, then the weights.</summary>
    public static Glm4Weights FromGguf(GgufFile file) => Build(
        GgufGlm4Config.Read(file),
        t => GgufWeightReader.Matrix(file, t.Gguf, (int)t.Shape[0], (int)t.Shape[1]),
        t => GgufWeightReader.Vector(file, t.Gguf));

    private static Glm4Weights Build(Glm4Config config, Func<GlmTensorName, WeightTensor> matrix, Func<GlmTensorName, float[]> vector)
    {
        var byHf = GgufGlm4Names.Tensors(config).ToDictionary(t => t.Hf, StringComparer.Ordinal);
        WeightTensor M(string hf) => matrix(byHf[hf]);
        float[] V(string hf) => vector(byHf[hf]);
        float[]? Optional(string hf) => byHf.ContainsKey(hf) ? V(hf) : null;

        var layers = new Glm4LayerWeights[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"model.layers.{i}.";
            layers[i] = new Glm4LayerWeights(
                AttnNorm: V(p + "input_layernorm.weight"),
                Q: M(p + "self_attn.q_proj.weight"),
                QBias: Optional(p + "self_attn.q_proj.bias"),
                K: M(p + "self_attn.k_proj.weight"),
                KBias: Optional(p + "self_attn.k_proj.bias"),
                V: M(p + "self_attn.v_proj.weight"),
                VBias: Optional(p + "self_attn.v_proj.bias"),
                Output: M(p + "self_attn.o_proj.weight"),
                PostAttnNorm: V(p + "post_self_attn_layernorm.weight"),
                FfnNorm: V(p + "post_attention_layernorm.weight"),
                GateUp: M(p + "mlp.gate_up_proj.weight"),
                Down: M(p + "mlp.down_proj.weight"),
                PostFfnNorm: V(p + "post_mlp_layernorm.weight"));
        }
        var embedding = M("model.embed_tokens.weight");
        var output = config.TieWordEmbeddings ? embedding : M("lm_head.weight");
        return new Glm4Weights(config, embedding, layers, V("model.norm.weight"), output);
    }
}
