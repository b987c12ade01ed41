using Glm.Kernels.Dot;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

/// <summary>
/// The multi-token quantized gemm kernels (<see cref="GemmQ4"/>: 512-bit VBMI Q4_0; <see cref="GemmQ8"/>: AVX-VNNI
/// Q8_0) against the scalar Reference, token by token, and bit for bit against the gemv dot of single decode.
/// </summary>
public class GemmQuantTests
{
    public static TheoryData<GgmlType, int> Cases()
    {
        var d = new TheoryData<GgmlType, int>();
        foreach (GgmlType type in new[] { GgmlType.Q4_0, GgmlType.Q8_0 })
        {
            for (int nb = 0; nb <= 40; nb++)
            {
                d.Add(type, nb);
            }
            d.Add(type, 214);
            d.Add(type, 430);
        }
        return d;
    }

    private static bool Supported(GgmlType type) => type == GgmlType.Q4_0 ? GemmQ4.Supported : GemmQ8.Supported;

    /// <summary>The kernel variants to run: Q8_0 with and without the VBMI scale permutes.</summary>
    private static IEnumerable<bool> Variants(GgmlType type) =>
        type == GgmlType.Q8_0 && DotQ8.Vbmi && SimdPaths.V512Supported ? [false, true] : [false];

    /// <summary>
    /// Prepared rows (<see cref="Gemv.PreparedBytes"/> apart) and their transposed quants (T × TransposedBytes);
    /// <paramref name="quant"/>(t, i), when given, replaces quant i of token t and every block scale becomes 1 (sums, Q4
    /// order and Q8_0 tail recomputed).
    /// </summary>
    private static unsafe (byte[] X, byte[] XT) Prepare(GgmlType type, float[] x, int tokens, int cols,
        Func<int, int, sbyte>? quant)
    {
        int prep = Gemv.PreparedBytes(type, cols), tb = Gemm.TransposedBytes(type, cols), nb = cols / 32;
        var xp = new byte[tokens * prep];
        var xt = new byte[Math.Max(1, tokens * tb)];
        for (int t = 0; t < tokens; t++)
        {
            Gemv.Prepare(type, x.AsSpan(t * cols, cols), xp.AsSpan(t * prep, prep));
        }
        fixed (byte* px = xp)
        fixed (byte* pt = xt)
        {
            for (int t = 0; t < tokens && quant is not null; t++)
            {
                byte* row = px + t * prep;
                for (int b = 0; b < nb; b++)
                {
                    *(ushort*)(row + b * Q8_0.BlockBytes) = 0x3c00; // fp16 1.0
                }
                for (int i = 0; i < cols; i++)
                {
                    row[i / 32 * Q8_0.BlockBytes + 2 + i % 32] = (byte)quant(t, i);
                }
                Gemv.CompleteQ8(type, row, nb);
            }
            for (int t = 0; t < tokens; t++)
            {
                // The layout each kernel reads: what MatMul writes for two or more tokens on the best path.
                Gemm.Transpose(type, px + t * prep, nb, pt + t * tb, 2, SimdPaths.Best);
            }
        }
        return (xp, xt);
    }

    /// <summary>Runs the kernel over rows [r0, r1) of T tokens and checks every output (and that no other is written).</summary>
    private static unsafe void Check(GgmlType type, byte[] w, int rows, int nb, float[] x, int tokens, int r0, int r1,
        double scale, string what, Func<int, int, sbyte>? quant = null)
    {
        int cols = nb * 32, prep = Gemv.PreparedBytes(type, cols), tb = Gemm.TransposedBytes(type, cols);
        long rowBytes = GgmlTypes.RowBytes(type, cols);
        (byte[] xp, byte[] xt) = Prepare(type, x, tokens, cols, quant);
        foreach (bool variant in Variants(type))
        {
            var y = new float[tokens * rows];
            Array.Fill(y, float.NaN);
            fixed (byte* pw = w)
            fixed (byte* px = xp)
            fixed (byte* pt = xt)
            fixed (float* py = y)
            {
                if (type == GgmlType.Q4_0)
                {
                    GemmQ4.Rows(pw, rowBytes, nb, pt, tb, tokens, py, rows, r0, r1);
                }
                else
                {
                    GemmQ8.Rows(pw, rowBytes, nb, px, prep, pt, tb, tokens, py, rows, r0, r1, variant);
                }
                for (int t = 0; t < tokens; t++)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        float got = y[t * rows + r];
                        if (r < r0 || r >= r1)
                        {
                            Assert.True(float.IsNaN(got), $"{what}: t={t} row {r} outside [{r0}, {r1}) was written");
                            continue;
                        }
                        float expected = type == GgmlType.Q4_0
                            ? DotQ8.Q4_0Reference(pw + r * rowBytes, px + t * prep, nb)
                            : DotQ8.Q8_0Reference(pw + r * rowBytes, px + t * prep, nb);
                        TestUtil.Close(expected, got, scale, TestUtil.ReorderTolerance, $"{type} {what} {variant}: T={tokens} t={t} r={r}");
                        // Bit for bit the gemv dot of single decode on the matching path, extreme quants included.
                        SimdPath path = type == GgmlType.Q4_0 || variant ? SimdPath.V512 : SimdPath.V256;
                        float gemv = Gemv.DotRow(type, pw + r * rowBytes, cols, px + t * prep, path);
                        Assert.True(BitConverter.SingleToInt32Bits(gemv) == BitConverter.SingleToInt32Bits(got),
                            $"{type} {what} {variant}: T={tokens} t={t} r={r}: {got} is not the gemv's {gemv}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rows_MatchReference_EveryTokenCount(GgmlType type, int nb)
    {
        if (!Supported(type))
        {
            return;
        }
        foreach (int rows in new[] { 1, 5, 17 })
        {
            byte[] w = GemvTests.Weights(type, rows, nb * 32, 7 * nb + rows);
            for (int tokens = 1; tokens <= 17; tokens += tokens < 9 ? 1 : 8)
            {
                float[] x = TestUtil.Gaussian(tokens * nb * 32, 100 * nb + tokens);
                Check(type, w, rows, nb, x, tokens, 0, rows, 32.0 * nb, $"nb={nb} rows={rows}");
            }
        }
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q8_0)]
    public void Rows_MatchReference_AnyRowRange(GgmlType type)
    {
        if (!Supported(type))
        {
            return;
        }
        const int rows = 37, nb = 35;
        byte[] w = GemvTests.Weights(type, rows, nb * 32, 3);
        float[] x = TestUtil.Gaussian(5 * nb * 32, 4);
        foreach ((int r0, int r1) in new[] { (0, 37), (0, 0), (3, 3), (2, 19), (16, 33), (36, 37) })
        {
            Check(type, w, rows, nb, x, 5, r0, r1, 32.0 * nb, $"[{r0}, {r1})");
        }
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q8_0)]
    public void ExtremeQuants_AreExact(GgmlType type)
    {
        if (!Supported(type))
        {
            return;
        }
        // Weight quants at their extremes (Q4_0 nibbles 15 or 0, Q8_0 −128 or 127) against activation quants of −128 or
        // 127 (and mixed): the int16 sums of the Q4_0 kernel reach their largest magnitudes. All scales are 1, so every
        // dot is an integer below 2^24: exact in float.
        const int nb = 16 * 2 + 8 + 4 + 3, rows = 3, tokens = 9;
        int bw = type == GgmlType.Q4_0 ? Q4_0.BlockBytes : Q8_0.BlockBytes, quants = bw - 2;
        byte[] patterns = type == GgmlType.Q4_0 ? [0xff, 0x00, 0xf0, 0x0f] : [0x80, 0x7f];
        foreach (byte pattern in patterns)
        {
            var w = new byte[rows * GgmlTypes.RowBytes(type, nb * 32)];
            for (int b = 0; b < rows * nb; b++)
            {
                w[b * bw] = 0x00;
                w[b * bw + 1] = 0x3c; // fp16 1.0
                Array.Fill(w, pattern, b * bw + 2, quants);
            }
            float[] x = TestUtil.Gaussian(tokens * nb * 32, 5);
            sbyte Quant(int t, int i) => (t % 3) switch { 0 => 127, 1 => -128, _ => i % 2 == 0 ? (sbyte)127 : (sbyte)-128 };
            Check(type, w, rows, nb, x, tokens, 0, rows, 0, $"{pattern:x2}", Quant);
        }
    }
}
