using Glm.Kernels.Dot;

namespace Glm.Kernels.Tests;

internal static class TestUtil
{
    /// <summary>Relative tolerance for float kernels that only reorder a sum (scaled by Σ|terms|).</summary>
    public const double ReorderTolerance = 2e-5;

    public static float[] Gaussian(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)) * scale;
        }
        return x;
    }

    public static IEnumerable<SimdPath> SupportedPaths()
    {
        foreach (SimdPath p in Enum.GetValues<SimdPath>())
        {
            if (SimdPaths.IsSupported(p))
            {
                yield return p;
            }
        }
    }

    public static TheoryData<SimdPath> Paths()
    {
        var d = new TheoryData<SimdPath>();
        foreach (SimdPath p in SupportedPaths())
        {
            d.Add(p);
        }
        return d;
    }

    public static void Close(double expected, double actual, double scale, double tol, string what)
    {
        double err = Math.Abs(expected - actual);
        Assert.True(err <= tol * scale + 1e-6, $"{what}: expected {expected}, got {actual}, |err| {err} > {tol} * {scale}");
    }
}
