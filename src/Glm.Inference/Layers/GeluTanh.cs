namespace Glm.Inference.Layers;

/// <summary>
/// GeLU with the tanh approximation, as the original GLM's <c>gelu_impl</c> and TorchSharp's
/// <c>gelu(approximate: tanh)</c> compute it: <c>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c>. Allocates nothing.
/// </summary>
internal static class GeluTanh
{
    private const float SqrtTwoOverPi = 0.7978845608028654f;

    /// <summary>In place over <paramref name="x"/>.</summary>
    public static void Apply(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            x[i] = 0.5f * v * (1f + MathF.Tanh(SqrtTwoOverPi * (v + 0.044715f * v * v * v)));
        }
    }
}
