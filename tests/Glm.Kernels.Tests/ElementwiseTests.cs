using Glm.Kernels.Ops;

namespace Glm.Kernels.Tests;

public class ElementwiseTests
{
    /// <summary>TensorPrimitives' exp/sigmoid are within a few ulp of MathF's; reductions reorder sums.</summary>
    private const float Tolerance = 2e-5f;

    private static void AllClose(float[] expected, float[] actual, float tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float scale = Math.Max(1f, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * scale, $"{what}[{i}]: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void RmsNorm_MatchesReference_EveryLength()
    {
        for (int n = 0; n <= 256; n++)
        {
            float[] x = TestUtil.Gaussian(n, n, 3f), w = TestUtil.Gaussian(n, n + 1);
            var r = new float[n];
            var f = new float[n];
            Elementwise.RmsNormReference(x, w, 1e-5f, r);
            Elementwise.RmsNorm(x, w, 1e-5f, f);
            AllClose(r, f, Tolerance, $"rmsnorm n={n}");
            Elementwise.RmsNorm(x, w, 1e-5f, x); // in place
            AllClose(r, x, Tolerance, $"rmsnorm in place n={n}");
        }
    }

    [Fact]
    public void RmsNorm_KnownValue()
    {
        // x = (3, 4): mean(x²) = 12.5, so y = w·x/√12.5.
        var y = new float[2];
        Elementwise.RmsNorm([3f, 4f], [1f, 2f], 0f, y);
        Assert.Equal(3 / MathF.Sqrt(12.5f), y[0], 6);
        Assert.Equal(8 / MathF.Sqrt(12.5f), y[1], 6);
        var longer = new float[4];
        Elementwise.RmsNorm([3f, 4f], [1f, 2f, 9f], 0f, longer); // longer weight/output spans: only x.Length values used
        Assert.Equal([y[0], y[1], 0f, 0f], longer);
    }

    [Fact]
    public void Softmax_MatchesReference_EveryLength_AndIsStable()
    {
        for (int n = 0; n <= 256; n++)
        {
            float[] x = TestUtil.Gaussian(n, n, 10f);
            if (n > 0)
            {
                x[0] = 1000f; // would overflow without the max shift
            }
            float[] r = (float[])x.Clone(), f = (float[])x.Clone();
            Elementwise.SoftmaxReference(r);
            Elementwise.Softmax(f);
            AllClose(r, f, Tolerance, $"softmax n={n}");
            Assert.All(f, v => Assert.True(float.IsFinite(v)));
            if (n > 0)
            {
                Assert.Equal(1.0, f.Sum(v => (double)v), 4);
            }
        }
    }

    [Fact]
    public void SwiGlu_MatchesReference_EveryEvenLength_GateFirst()
    {
        for (int ffn = 0; ffn <= 300; ffn++)
        {
            float[] gu = TestUtil.Gaussian(2 * ffn, ffn, 4f);
            var r = new float[ffn];
            var f = new float[ffn];
            Elementwise.SwiGluReference(gu, r);
            Elementwise.SwiGlu(gu, f);
            AllClose(r, f, Tolerance, $"swiglu ffn={ffn}");
            float[] inPlace = (float[])gu.Clone();
            Elementwise.SwiGlu(inPlace, inPlace); // output over the gate half
            AllClose(r, inPlace[..ffn], Tolerance, $"swiglu in place ffn={ffn}");
        }
        var y = new float[1];
        Elementwise.SwiGlu([2f, 3f], y); // silu(2)·3, gate is the first half
        Assert.Equal(2f / (1f + MathF.Exp(-2f)) * 3f, y[0], 5);
    }

    [Fact]
    public void AddScaleAxpy()
    {
        float[] a = [1, 2, 3], b = [10, 20, 30];
        var y = new float[3];
        Elementwise.Add(a, b, y);
        Assert.Equal([11f, 22f, 33f], y);
        Elementwise.Scale(a, 2f, y);
        Assert.Equal([2f, 4f, 6f], y);
        Elementwise.AddScaled(b, 0.5f, y);
        Assert.Equal([7f, 14f, 21f], y);
    }

    [Fact]
    public void Rope_TableMatchesReference_PartialAdjacentPairs()
    {
        for (int rotDim = 2; rotDim <= 130; rotDim += 2)
        {
            int headDim = rotDim + (rotDim % 6); // rotated dims plus a pass-through tail (sometimes none)
            foreach (int pos in new[] { 0, 1, 7, 1000, 131071 })
            {
                const int heads = 3;
                float[] x = TestUtil.Gaussian(heads * headDim, pos + rotDim);
                float[] expected = (float[])x.Clone();
                for (int h = 0; h < heads; h++)
                {
                    Rope.ApplyReference(expected.AsSpan(h * headDim, headDim), pos, rotDim, 5e6f);
                }
                var cos = new float[rotDim / 2];
                var sin = new float[rotDim / 2];
                Rope.CosSin(pos, rotDim, 5e6f, cos, sin);
                Rope.Apply(x, heads, headDim, cos, sin);
                AllClose(expected, x, 1e-6f, $"rope rot={rotDim} pos={pos}");
            }
        }
    }

    [Fact]
    public void Rope_KnownValues()
    {
        // Position 1, rotDim 4, base 10000: pair 0 turns by 1 rad, pair 1 by 10000^(−1/2) = 0.01 rad; dims 4.. untouched.
        float[] x = [1, 0, 1, 0, 5, 6];
        var cos = new float[2];
        var sin = new float[2];
        Rope.CosSin(1, 4, 10000f, cos, sin);
        Rope.Apply(x, 1, 6, cos, sin);
        Assert.Equal(MathF.Cos(1), x[0], 6);
        Assert.Equal(MathF.Sin(1), x[1], 6);
        Assert.Equal(MathF.Cos(0.01f), x[2], 6);
        Assert.Equal(MathF.Sin(0.01f), x[3], 6);
        Assert.Equal(5f, x[4]);
        Assert.Equal(6f, x[5]);
    }
}
