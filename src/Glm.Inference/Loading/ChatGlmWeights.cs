using Glm.Core.Configs;

namespace Glm.Inference.Loading;

/// <summary>
/// One ChatGLM2/3 / GLM-4 decoder layer's weights (glm-spec §2.3, §2.5). Matrices are used in place from the mapping;
/// norm weights and biases (small, 1-D) are widened to float arrays.
/// </summary>
/// <param name="Qkv">[H·D + 2·Hkv·D, C], blocked rows Q | K | V.</param>
/// <param name="Dense">[C, H·D].</param>
/// <param name="GateUp">[2·F, C]: gate rows first, then up (pitfall 4).</param>
/// <param name="Down">[C, F].</param>
public sealed record ChatGlmLayerWeights(
    float[] AttnNorm,
    WeightTensor Qkv,
    float[]? QkvBias,
    WeightTensor Dense,
    float[]? DenseBias,
    float[] FfnNorm,
    WeightTensor GateUp,
    float[]? GateUpBias,
    WeightTensor Down,
    float[]? DownBias);

/// <summary>
/// Every weight of a ChatGLM2/3 / GLM-4 model, checked against <see cref="Config"/>. Owned by the
/// <see cref="GlmModelFile"/> that produced it: valid only while that file is open. Immutable, thread-safe to read.
/// </summary>
/// <param name="Embedding">[V, C].</param>
/// <param name="Output">[V, C]; the embedding itself when the model ties them.</param>
public sealed record ChatGlmWeights(
    ChatGlmConfig Config,
    WeightTensor Embedding,
    IReadOnlyList<ChatGlmLayerWeights> Layers,
    float[] FinalNorm,
    WeightTensor Output);
