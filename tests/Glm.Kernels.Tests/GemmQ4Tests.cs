using Glm.Kernels.Dot;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

/// <summary>The 512-bit VBMI multi-token Q4_0 kernel (<see cref="GemmQ4"/>) against the scalar Reference, per token.</summary>
public class GemmQ4Tests
{
    public static TheoryData<int> BlockCounts()
    {
        var d = new TheoryData<int>();
        for (int nb = 0; nb <= 40; nb++)
        {
            d.Add(nb);
        }
        d.Add(214);
        return d;
    }

    /// <summary>
    /// Prepared rows (<see cref="Gemv.PreparedBytes"/> apart) and their transposed quants (T × TransposedBytes);
    /// <paramref name="quant"/>(t, i), when given, replaces quant i of token t and every block scale becomes 1 (sums and
    /// Q4 order recomputed).
    /// </summary>
    private static unsafe (byte[] X, byte[] XT) Prepare(float[] x, int tokens, int cols, Func<int, int, sbyte>? quant = null)
    {
        int prep = Gemv.PreparedBytes(GgmlType.Q4_0, cols), tb = Gemm.TransposedBytes(GgmlType.Q4_0, cols);
        var xp = new byte[tokens * prep];
        var xt = new byte[Math.Max(1, tokens * tb)];
        for (int t = 0; t < tokens; t++)
        {
            Gemv.Prepare(GgmlType.Q4_0, x.AsSpan(t * cols, cols), xp.AsSpan(t * prep, prep));
        }
        fixed (byte* px = xp)
        fixed (byte* pt = xt)
        {
            for (int t = 0; t < tokens && quant is not null; t++)
            {
                byte* row = px + t * prep;
                int nb = cols / 32;
                for (int b = 0; b < nb; b++)
                {
                    *(ushort*)(row + b * Q8_0.BlockBytes) = 0x3c00; // fp16 1.0
                }
                for (int i = 0; i < cols; i++)
                {
                    row[i / 32 * Q8_0.BlockBytes + 2 + i % 32] = (byte)quant(t, i);
                }
                DotQ8.StoreBlockSums(row, nb);
                DotQ4.StoreQ4Order(row, nb, row + nb * (Q8_0.BlockBytes + sizeof(int) + sizeof(float)));
            }
            for (int t = 0; t < tokens; t++)
            {
                GemmQ4.Transpose(px + t * prep, cols / 32, pt + t * tb);
            }
        }
        return (xp, xt);
    }

    /// <summary>Runs the kernel over rows [r0, r1) of T tokens and checks every output (and that no other is written).</summary>
    private static unsafe void Check(byte[] w, int rows, int nb, float[] x, int tokens, int r0, int r1, double scale, string what,
        Func<int, int, sbyte>? quant = null)
    {
        int cols = nb * 32, prep = Gemv.PreparedBytes(GgmlType.Q4_0, cols);
        long rowBytes = Q4_0.RowBytes(cols);
        (byte[] xp, byte[] xt) = Prepare(x, tokens, cols, quant);
        var y = new float[tokens * rows];
        Array.Fill(y, float.NaN);
        fixed (byte* pw = w)
        fixed (byte* px = xp)
        fixed (byte* pt = xt)
        fixed (float* py = y)
        {
            GemmQ4.Rows(pw, rowBytes, nb, px, prep, pt, Gemm.TransposedBytes(GgmlType.Q4_0, cols), tokens, py, rows, r0, r1);
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
                    float expected = DotQ8.Q4_0Reference(pw + r * rowBytes, px + t * prep, nb);
                    TestUtil.Close(expected, got, scale, TestUtil.ReorderTolerance, $"{what}: T={tokens} t={t} r={r}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(BlockCounts))]
    public void Rows_MatchReference_EveryTokenCount(int nb)
    {
        if (!GemmQ4.Supported)
        {
            return;
        }
        foreach (int rows in new[] { 1, 5, 17 })
        {
            byte[] w = GemvTests.Weights(GgmlType.Q4_0, rows, nb * 32, 7 * nb + rows);
            for (int tokens = 1; tokens <= 17; tokens += tokens < 9 ? 1 : 8)
            {
                float[] x = TestUtil.Gaussian(tokens * nb * 32, 100 * nb + tokens);
                Check(w, rows, nb, x, tokens, 0, rows, 32.0 * nb, $"nb={nb} rows={rows}");
            }
        }
    }

    [Fact]
    public void Rows_MatchReference_AnyRowRange()
    {
        if (!GemmQ4.Supported)
        {
            return;
        }
        const int rows = 37, nb = 35;
        byte[] w = GemvTests.Weights(GgmlType.Q4_0, rows, nb * 32, 3);
        float[] x = TestUtil.Gaussian(5 * nb * 32, 4);
        foreach ((int r0, int r1) in new[] { (0, 37), (0, 0), (3, 3), (2, 19), (16, 33), (36, 37) })
        {
            Check(w, rows, nb, x, 5, r0, r1, 32.0 * nb, $"[{r0}, {r1})");
        }
    }

    [Fact]
    public void ExtremeQuants_StayExactInInt16()
    {
        if (!GemmQ4.Supported)
        {
            return;
        }
        // Every nibble 15 (or 0) against activation quants of −128 or 127 (and mixed): the int16 sums of 8 products
        // reach their largest magnitudes. All scales are 1, so every dot is an integer below 2^24: exact in float.
        const int nb = 16 * 2 + 8 + 4 + 3, rows = 3;
        foreach (byte nibbles in new byte[] { 0xff, 0x00, 0xf0, 0x0f })
        {
            var w = new byte[rows * Q4_0.RowBytes(nb * 32)];
            for (int b = 0; b < rows * nb; b++)
            {
                w[b * Q4_0.BlockBytes] = 0x00;
                w[b * Q4_0.BlockBytes + 1] = 0x3c; // fp16 1.0
                Array.Fill(w, nibbles, b * Q4_0.BlockBytes + 2, 16);
            }
            const int tokens = 9;
            float[] x = TestUtil.Gaussian(tokens * nb * 32, 5);
            sbyte Quant(int t, int i) => (t % 3) switch { 0 => 127, 1 => -128, _ => i % 2 == 0 ? (sbyte)127 : (sbyte)-128 };
            Check(w, rows, nb, x, tokens, 0, rows, 0, $"{nibbles:x2}", Quant);
        }
    }
}
