using Glm.Core.Configs;

namespace Glm.Inference.Loading;

/// <summary>
/// One layer of the original GLM (glm-spec §1.1): pre-LN with LayerNorm (weight and bias), a fused QKV split in thirds,
/// a GeLU MLP, biases everywhere. Matrices are used in place from the mapping; 1-D tensors are widened to floats.
/// </summary>
/// <param name="Qkv">[3·C, C]: rows Q | K | V in thirds, each H heads of D.</param>
/// <param name="Dense">[C, C].</param>
/// <param name="Up">[F, C] (dense_h_to_4h).</param>
/// <param name="Down">[C, F] (dense_4h_to_h).</param>
public sealed record GlmLayerWeights(
    float[] InputNormWeight,
    float[] InputNormBias,
    WeightTensor Qkv,
    float[] QkvBias,
    WeightTensor Dense,
    float[] DenseBias,
    float[] PostNormWeight,
    float[] PostNormBias,
    WeightTensor Up,
    float[] UpBias,
    WeightTensor Down,
    float[] DownBias);

/// <summary>
/// Every weight of an original GLM model, checked against <see cref="Config"/>. Owned by the
/// <see cref="GlmModelFile"/> that produced it: valid only while that file is open. Immutable, thread-safe to read.
/// </summary>
/// <param name="WordEmbeddings">[V, C]; also the output head (tied).</param>
/// <param name="PositionEmbeddings">[P + 1, C], P = max_sequence_length.</param>
/// <param name="BlockPositionEmbeddings">[P + 1, C], or null without block_position_encoding.</param>
public sealed record GlmWeights(
    GlmConfig Config,
    WeightTensor WordEmbeddings,
    WeightTensor PositionEmbeddings,
    WeightTensor? BlockPositionEmbeddings,
    IReadOnlyList<GlmLayerWeights> Layers,
    float[] FinalNormWeight,
    float[] FinalNormBias);
