using System.Runtime.InteropServices;
using Glm.Kernels.Dot;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

public class DotTests
{
    public static TheoryData<SimdPath> Paths() => TestUtil.Paths();

    /// <summary>Weight bytes, prepared activation bytes, and both sides dequantized, for one row of n values.</summary>
    private static (byte[] W, byte[] X, float[] Wd, float[] Xd) Make(GgmlType type, int n, int seed)
    {
        float[] w = TestUtil.Gaussian(n, seed);
        float[] x = TestUtil.Gaussian(n, seed + 1000);
        byte[] wb;
        float[] wd = new float[n];
        switch (type)
        {
            case GgmlType.F32:
                wb = MemoryMarshal.AsBytes(w.AsSpan()).ToArray();
                wd = w;
                break;
            case GgmlType.F16:
            case GgmlType.BF16:
                var h = new ushort[n];
                for (int i = 0; i < n; i++)
                {
                    h[i] = type == GgmlType.F16 ? Fp16.SingleToHalf(w[i]) : Fp16.SingleToBFloat16(w[i]);
                    wd[i] = type == GgmlType.F16 ? Fp16.HalfToSingle(h[i]) : Fp16.BFloat16ToSingle(h[i]);
                }
                wb = MemoryMarshal.AsBytes(h.AsSpan()).ToArray();
                break;
            case GgmlType.Q8_0:
                wb = new byte[Q8_0.RowBytes(n)];
                Q8_0.QuantizeReference(w, wb);
                Q8_0.Dequantize(wb, wd);
                break;
            case GgmlType.Q4_0:
                wb = new byte[Q4_0.RowBytes(n)];
                Q4_0.QuantizeReference(w, wb);
                Q4_0.Dequantize(wb, wd);
                break;
            default:
                wb = new byte[Q6_K.RowBytes(n)];
                Q6_K.QuantizeReference(w, wb);
                Q6_K.Dequantize(wb, wd);
                break;
        }
        var xb = new byte[Gemv.PreparedBytes(type, n)];
        Gemv.Prepare(type, x, xb);
        float[] xd = new float[n];
        switch (Gemv.ActivationType(type))
        {
            case GgmlType.Q8_0:
                Q8_0.Dequantize(xb, xd);
                break;
            case GgmlType.Q8_K:
                Q8_K.Dequantize(xb, xd);
                break;
            default:
                xd = x;
                break;
        }
        return (wb, xb, wd, xd);
    }

    private static void CheckAgainstReference(GgmlType type, int n, SimdPath path, int seed)
    {
        (byte[] wb, byte[] xb, float[] wd, float[] xd) = Make(type, n, seed);
        var yRef = new float[1];
        var y = new float[1];
        Gemv.Rows(type, wb, n, xb, yRef, 0, 1, SimdPath.Scalar);
        Gemv.Rows(type, wb, n, xb, y, 0, 1, path);
        double exact = 0, scale = 0;
        for (int i = 0; i < n; i++)
        {
            exact += (double)wd[i] * xd[i];
            scale += Math.Abs((double)wd[i] * xd[i]);
        }
        // The Reference is the math: it must match the dequantized dot; the SIMD path only reorders the sum.
        TestUtil.Close(exact, yRef[0], scale, TestUtil.ReorderTolerance, $"{type} reference n={n}");
        TestUtil.Close(yRef[0], y[0], scale, TestUtil.ReorderTolerance, $"{type} {path} n={n}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void FloatDots_MatchReference_EveryLength0To256(SimdPath path)
    {
        foreach (GgmlType t in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16 })
        {
            for (int n = 0; n <= 256; n++)
            {
                CheckAgainstReference(t, n, path, n);
            }
            foreach (int n in new[] { 511, 1000, 4099 })
            {
                CheckAgainstReference(t, n, path, n);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Q8_0AndQ4_0Dots_MatchReference_EveryBlockCount(SimdPath path)
    {
        foreach (GgmlType t in new[] { GgmlType.Q8_0, GgmlType.Q4_0 })
        {
            for (int nb = 0; nb <= 17; nb++)
            {
                CheckAgainstReference(t, nb * 32, path, nb);
            }
            foreach (int nb in new[] { 31, 33, 128 })
            {
                CheckAgainstReference(t, nb * 32, path, nb);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Q6_KDot_MatchesReference_EveryBlockCount(SimdPath path)
    {
        for (int nb = 0; nb <= 5; nb++)
        {
            CheckAgainstReference(GgmlType.Q6_K, nb * 256, path, nb);
        }
        CheckAgainstReference(GgmlType.Q6_K, 16 * 256, path, 16);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void QuantizedDots_HandleExtremeQuants(SimdPath path)
    {
        // All-max and all-min quants exercise the int16 saturation limits of vpmaddubsw.
        const int n = 256;
        var w = new float[n];
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            w[i] = i % 3 == 0 ? -1f : 1f;
            x[i] = i % 5 == 0 ? -1f : 1f;
        }
        foreach (GgmlType t in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q6_K })
        {
            var wb = new byte[GgmlTypes.RowBytes(t, n)];
            if (t == GgmlType.Q8_0)
            {
                Q8_0.QuantizeReference(w, wb);
            }
            else if (t == GgmlType.Q4_0)
            {
                Q4_0.QuantizeReference(w, wb);
            }
            else
            {
                Q6_K.QuantizeReference(w, wb);
            }
            var xb = new byte[Gemv.PreparedBytes(t, n)];
            Gemv.Prepare(t, x, xb);
            var r = new float[1];
            var y = new float[1];
            Gemv.Rows(t, wb, n, xb, r, 0, 1, SimdPath.Scalar);
            Gemv.Rows(t, wb, n, xb, y, 0, 1, path);
            TestUtil.Close(r[0], y[0], n, TestUtil.ReorderTolerance, t.ToString());
        }
    }

    [Fact]
    public unsafe void Avx512IntegerKernels_MatchReference_EvenWhereVnni256IsPreferred()
    {
        if (!SimdPaths.V512Supported)
        {
            return;
        }
        foreach (GgmlType t in new[] { GgmlType.Q8_0, GgmlType.Q4_0 })
        {
            foreach (int nb in new[] { 1, 7, 8, 9, 16, 17, 33, 128 })
            {
                (byte[] wb, byte[] xb, _, _) = Make(t, nb * 32, nb + 50);
                fixed (byte* pw = wb)
                fixed (byte* px = xb)
                {
                    float r = t == GgmlType.Q8_0 ? DotQ8.Q8_0Reference(pw, px, nb) : DotQ8.Q4_0Reference(pw, px, nb);
                    float v = t == GgmlType.Q8_0 ? DotQ8.Q8_0Avx512(pw, px, nb) : DotQ8.Q4_0Avx512(pw, px, nb);
                    TestUtil.Close(r, v, 32.0 * nb, TestUtil.ReorderTolerance, $"{t} avx512 nb={nb}");
                }
            }
        }
    }
}
