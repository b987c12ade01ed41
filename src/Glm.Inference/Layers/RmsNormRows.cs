using Glm.Kernels.Ops;

namespace Glm.Inference.Layers;

/// <summary>RMSNorm of each of T rows of C values (glm-spec §2.3, fp32). Allocates nothing.</summary>
internal static class RmsNormRows
{
    /// <summary>x, y: [T, C]; weight: [C].</summary>
    public static void Apply(ReadOnlySpan<float> x, float[] weight, float eps, Span<float> y, int tokens, int c)
    {
        for (int t = 0; t < tokens; t++)
        {
            Elementwise.RmsNorm(x.Slice(t * c, c), weight, eps, y.Slice(t * c, c));
        }
    }
}
