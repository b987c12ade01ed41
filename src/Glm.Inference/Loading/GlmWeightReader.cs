using Glm.Checkpoints.Safetensors;
using Glm.Core.Configs;

namespace Glm.Inference.Loading;

/// <summary>
/// Maps an original GLM checkpoint (THUDM <c>glm-*</c> names, as <c>glm train --family glm</c> writes them:
/// <c>glm.word_embeddings</c>, <c>glm.transformer.*</c>) onto <see cref="GlmWeights"/>.
/// </summary>
internal static class GlmWeightReader
{
    private const string Transformer = "glm.transformer.";

    public static GlmWeights Read(SafetensorsModel model, GlmConfig config)
    {
        int c = config.HiddenSize, v = config.VocabSize, f = config.FfnSize, positions = config.MaxSequenceLength + 1;
        float[] V(string name, int length) => HfWeightReader.Vector(model, name, length);
        var layers = new GlmLayerWeights[config.NumLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"{Transformer}layers.{i}.";
            layers[i] = new GlmLayerWeights(
                InputNormWeight: V(p + "input_layernorm.weight", c),
                InputNormBias: V(p + "input_layernorm.bias", c),
                Qkv: HfWeightReader.Matrix(model, p + "attention.query_key_value.weight", 3 * c, c),
                QkvBias: V(p + "attention.query_key_value.bias", 3 * c),
                Dense: HfWeightReader.Matrix(model, p + "attention.dense.weight", c, c),
                DenseBias: V(p + "attention.dense.bias", c),
                PostNormWeight: V(p + "post_attention_layernorm.weight", c),
                PostNormBias: V(p + "post_attention_layernorm.bias", c),
                Up: HfWeightReader.Matrix(model, p + "mlp.dense_h_to_4h.weight", f, c),
                UpBias: V(p + "mlp.dense_h_to_4h.bias", f),
                Down: HfWeightReader.Matrix(model, p + "mlp.dense_4h_to_h.weight", c, f),
                DownBias: V(p + "mlp.dense_4h_to_h.bias", c));
        }
        return new GlmWeights(
            config,
            HfWeightReader.Matrix(model, "glm.word_embeddings.weight", v, c),
            HfWeightReader.Matrix(model, Transformer + "position_embeddings.weight", positions, c),
            config.BlockPositionEncoding ? HfWeightReader.Matrix(model, Transformer + "block_position_embeddings.weight", positions, c) : null,
            layers,
            V(Transformer + "final_layernorm.weight", c),
            V(Transformer + "final_layernorm.bias", c));
    }
}
