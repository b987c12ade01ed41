using System.Numerics.Tensors;

namespace Glm.Inference.Layers;

/// <summary>
/// LayerNorm with weight and bias over each of T rows of C values, fp32, as <c>torch.nn.functional.layer_norm</c>
/// computes it (biased variance): <c>y = (x − mean)/√(var + eps) · w + b</c> (the original GLM, glm-spec §1.1).
/// Allocates nothing.
/// </summary>
internal static class LayerNormRows
{
    /// <summary>x, y: [T, C] (may be the same buffer); weight, bias: [C].</summary>
    public static void Apply(ReadOnlySpan<float> x, float[] weight, float[] bias, float eps, Span<float> y, int tokens, int c)
    {
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<float> row = x.Slice(t * c, c);
            Span<float> output = y.Slice(t * c, c);
            float mean = TensorPrimitives.Sum(row) / c;
            TensorPrimitives.Subtract(row, mean, output);
            float variance = TensorPrimitives.SumOfSquares(output) / c;
            TensorPrimitives.Multiply(output, 1f / MathF.Sqrt(variance + eps), output);
            TensorPrimitives.MultiplyAdd(output, weight, bias, output);
        }
    }
}
