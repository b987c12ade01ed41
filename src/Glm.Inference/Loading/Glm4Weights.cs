using Glm.Core.Configs;

namespace Glm.Inference.Loading;

/// <summary>
/// One GLM-4-0414 decoder layer's weights. Matrices are used in place from the mapping; norm weights and biases
/// (small, 1-D) are widened to float arrays.
/// </summary>
/// <param name="Q">[H·D, C].</param>
/// <param name="K">[Hkv·D, C].</param>
/// <param name="V">[Hkv·D, C].</param>
/// <param name="Output">[C, H·D] (no bias).</param>
/// <param name="PostAttnNorm">Sandwich norm on the attention output (HF post_self_attn_layernorm, GGUF post_attention_norm).</param>
/// <param name="FfnNorm">Pre-MLP norm (HF post_attention_layernorm, GGUF ffn_norm).</param>
/// <param name="GateUp">[2·F, C]: gate rows first, then up.</param>
/// <param name="Down">[C, F].</param>
/// <param name="PostFfnNorm">Sandwich norm on the MLP output (HF post_mlp_layernorm, GGUF post_ffw_norm).</param>
public sealed record Glm4LayerWeights(
    float[] AttnNorm,
    WeightTensor Q,
    float[]? QBias,
    WeightTensor K,
    float[]? KBias,
    WeightTensor V,
    float[]? VBias,
    WeightTensor Output,
    float[] PostAttnNorm,
    float[] FfnNorm,
    WeightTensor GateUp,
    WeightTensor Down,
    float[] PostFfnNorm);

/// <summary>
/// Every weight of a GLM-4-0414 model, checked against <see cref="Config"/>. Owned by the <see cref="GlmModelFile"/>
/// that produced it: valid only while that file is open. Immutable, thread-safe to read.
/// </summary>
/// <param name="Embedding">[V, C].</param>
/// <param name="Output">[V, C]; the embedding itself when the model ties them.</param>
public sealed record Glm4Weights(
    Glm4Config Config,
    WeightTensor Embedding,
    IReadOnlyList<Glm4LayerWeights> Layers,
    float[] FinalNorm,
    WeightTensor Output);
