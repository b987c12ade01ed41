using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Glm.Kernels.Dot;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

/// <summary>The 512-bit VBMI Q4_0 gemv kernel (<see cref="DotQ4"/>) and its pieces against the scalar Reference.</summary>
public class DotQ4Tests
{
    private static (byte[] W, byte[] X) Make(int rows, int nb, int seed)
    {
        byte[] w = GemvTests.Weights(GgmlType.Q4_0, rows, nb * 32, seed);
        var x = new byte[Gemv.PreparedBytes(GgmlType.Q4_0, nb * 32)];
        Gemv.Prepare(GgmlType.Q4_0, TestUtil.Gaussian(nb * 32, seed + 1), x);
        return (w, x);
    }

    public static TheoryData<int> BlockCounts()
    {
        var d = new TheoryData<int>();
        for (int nb = 0; nb <= 40; nb++)
        {
            d.Add(nb);
        }
        foreach (int nb in new[] { 63, 64, 65, 214, 256 })
        {
            d.Add(nb);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(BlockCounts))]
    public unsafe void Dot_MatchesReference(int nb)
    {
        if (!DotQ4.Supported)
        {
            return;
        }
        (byte[] w, byte[] x) = Make(1, nb, nb);
        fixed (byte* pw = w)
        fixed (byte* px = x)
        {
            float r = DotQ8.Q4_0Reference(pw, px, nb);
            TestUtil.Close(r, DotQ4.Dot(pw, px, nb), 32.0 * nb, TestUtil.ReorderTolerance, $"nb={nb}");
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(12)]
    [InlineData(214)]
    public unsafe void Rows_MatchReference_AnyRowRange(int nb)
    {
        if (!DotQ4.Supported)
        {
            return;
        }
        const int rows = 7;
        (byte[] w, byte[] x) = Make(rows, nb, 100 + nb);
        long rowBytes = Q4_0.RowBytes(nb * 32);
        foreach ((int r0, int r1) in new[] { (0, 7), (0, 0), (3, 3), (2, 5), (1, 2), (6, 7) })
        {
            var y = new float[rows];
            Array.Fill(y, float.NaN);
            fixed (byte* pw = w)
            fixed (byte* px = x)
            fixed (float* py = y)
            {
                DotQ4.Rows(pw, rowBytes, px, nb, py, r0, r1);
                for (int r = 0; r < rows; r++)
                {
                    if (r < r0 || r >= r1)
                    {
                        Assert.True(float.IsNaN(y[r]), $"row {r} outside [{r0}, {r1}) was written");
                        continue;
                    }
                    float expected = DotQ8.Q4_0Reference(pw + r * rowBytes, px, nb);
                    TestUtil.Close(expected, y[r], 32.0 * nb, TestUtil.ReorderTolerance, $"nb={nb} row {r}");
                }
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(13)]
    [InlineData(21)]
    [InlineData(29)]
    public unsafe void Dot_LastBlocks_IgnoreWhatFollowsTheRow(int nb)
    {
        if (!DotQ4.Supported)
        {
            return;
        }
        // Activation quants 1, 1, −1, 127 repeated: read as floats, the words after the block scales are NaN, so a
        // padded last step that let them in would return NaN.
        float[] xf = new float[nb * 32];
        for (int i = 0; i < xf.Length; i++)
        {
            xf[i] = (i % 4) switch { 2 => -1f, 3 => 127f, _ => 1f };
        }
        var x = new byte[Gemv.PreparedBytes(GgmlType.Q4_0, nb * 32)];
        Gemv.Prepare(GgmlType.Q4_0, xf, x);
        // Row 0 is followed by a row of NaN bytes (read in place by Rows when it has 8 blocks or more).
        byte[] row = GemvTests.Weights(GgmlType.Q4_0, 1, nb * 32, nb);
        var w = new byte[2 * row.Length];
        Array.Fill(w, (byte)0xff);
        row.CopyTo(w, 0);
        var y = new float[2];
        fixed (byte* pw = w)
        fixed (byte* px = x)
        fixed (float* py = y)
        {
            float r = DotQ8.Q4_0Reference(pw, px, nb);
            DotQ4.Rows(pw, row.Length, px, nb, py, 0, 2);
            foreach (float got in new[] { DotQ4.Dot(pw, px, nb), y[0] })
            {
                Assert.False(float.IsNaN(got), $"nb={nb}: NaN from past the row");
                TestUtil.Close(r, got, 32.0 * nb * 127, TestUtil.ReorderTolerance, $"nb={nb}");
            }
        }
    }

    [Fact]
    public unsafe void ExtremeQuants_StayExactInInt16()
    {
        if (!DotQ4.Supported)
        {
            return;
        }
        // Every nibble 15 (or 0) against activation quants of ±127: the int16 folds reach their largest magnitudes.
        foreach (byte nibbles in new byte[] { 0xff, 0x00, 0xf0 })
        {
            foreach (float sign in new[] { 1f, -1f })
            {
                const int nb = 8 * 3 + 4 + 3;
                var w = new byte[Q4_0.RowBytes(nb * 32)];
                for (int b = 0; b < nb; b++)
                {
                    w[b * Q4_0.BlockBytes] = 0x00;
                    w[b * Q4_0.BlockBytes + 1] = 0x3c; // fp16 1.0
                    Array.Fill(w, nibbles, b * Q4_0.BlockBytes + 2, 16);
                }
                float[] xf = new float[nb * 32];
                Array.Fill(xf, sign);
                var x = new byte[Gemv.PreparedBytes(GgmlType.Q4_0, nb * 32)];
                Gemv.Prepare(GgmlType.Q4_0, xf, x);
                fixed (byte* pw = w)
                fixed (byte* px = x)
                {
                    float r = DotQ8.Q4_0Reference(pw, px, nb);
                    TestUtil.Close(r, DotQ4.Dot(pw, px, nb), 32.0 * nb * 8, TestUtil.ReorderTolerance, $"{nibbles:x2} {sign}");
                }
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(64)]
    public unsafe void StoreQ4Order_BothPathsMatchTheDefinition(int nb)
    {
        var rng = new Random(nb);
        var xq = new byte[nb * Q8_0.BlockBytes];
        rng.NextBytes(xq);
        // Whole steps of 8 blocks, those past nb zero.
        var expected = new byte[DotQ4.OrderBytes(nb)];
        Assert.Equal((nb + 7) / 8 * 256, expected.Length);
        for (int g = 0; g < nb; g += 4)
        {
            for (int p = 0; p < 64; p++)
            {
                // Byte p: 32-bit lane p/4 belongs to block p/4 mod 4 and holds its quants 4·(p/16) .. 4·(p/16) + 3.
                if (g + p / 4 % 4 < nb)
                {
                    int at = (g + p / 4 % 4) * Q8_0.BlockBytes + 2 + 4 * (p / 16) + p % 4;
                    expected[g * 32 + p] = xq[at];
                    expected[g * 32 + 64 + p] = xq[at + 16];
                }
            }
        }
        foreach (bool vbmi in DotQ4.Supported ? new[] { false, true } : new[] { false })
        {
            var actual = new byte[expected.Length];
            Array.Fill(actual, (byte)0xA5);
            fixed (byte* px = xq)
            fixed (byte* pd = actual)
            {
                DotQ4.StoreQ4Order(px, nb, pd, vbmi);
            }
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void HighHalfToSingle_EveryHalf_IgnoresLowBits()
    {
        if (!SimdPaths.V256Supported)
        {
            return;
        }
        var rng = new Random(7);
        var lanes = new uint[8];
        for (int h0 = 0; h0 < 65536; h0 += 8)
        {
            for (int k = 0; k < 8; k++)
            {
                lanes[k] = (uint)(h0 + k) << 16 | (uint)rng.Next(65536);
            }
            Vector256<float> f = DotQ4.HighHalfToSingle(Vector256.Create(lanes));
            for (int k = 0; k < 8; k++)
            {
                float expected = Fp16.HalfToSingle((ushort)(h0 + k));
                Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(f[k]));
            }
        }
    }

    [Fact]
    public void HighNibbles_GfniAndShiftAgree()
    {
        if (!SimdPaths.V512Supported)
        {
            return;
        }
        var rng = new Random(11);
        var bytes = new byte[64];
        for (int iter = 0; iter < 100; iter++)
        {
            rng.NextBytes(bytes);
            Vector512<byte> q = Vector512.Create(bytes);
            foreach (bool gfni in Gfni.V512.IsSupported ? new[] { false, true } : new[] { false })
            {
                Vector512<byte> hi = DotQ4.HighNibbles(q, gfni);
                for (int i = 0; i < 64; i++)
                {
                    Assert.Equal(bytes[i] >> 4, hi[i]);
                }
            }
        }
    }

    [Fact]
    public void NegatedDots8_VnniAndMaddAgreeWithScalar()
    {
        if (!SimdPaths.V512Supported)
        {
            return;
        }
        var rng = new Random(13);
        var a = new short[32];
        var b = new short[32];
        var sums8 = new int[8];
        for (int iter = 0; iter < 500; iter++)
        {
            // Products of nibbles and int8 quants: each int16 at most 2·2·15·128 in magnitude.
            for (int e = 0; e < 32; e++)
            {
                a[e] = (short)(iter % 4 == 0 ? 7680 : rng.Next(-7680, 7681));
                b[e] = (short)(iter % 4 == 0 ? -7680 : rng.Next(-7680, 7681));
            }
            for (int k = 0; k < 8; k++)
            {
                sums8[k] = 8 * rng.Next(-32 * 127, 32 * 127 + 1);
            }
            var expected = new int[8];
            for (int k = 0; k < 8; k++)
            {
                expected[k] = sums8[k];
                for (int e = 0; e < 32; e++)
                {
                    // int16 e sits in 32-bit lane e/2, which belongs to block (e/2) mod 4 of its group of 4.
                    if (e / 2 % 4 == k % 4)
                    {
                        expected[k] -= k < 4 ? a[e] : b[e];
                    }
                }
            }
            Vector512<short> va = Vector512.Create(a), vb = Vector512.Create(b);
            foreach (bool vnni in AvxVnni.IsSupported ? new[] { false, true } : new[] { false })
            {
                Vector256<int> s = DotQ4.NegatedDots8(va, vb, Vector256.Create(sums8), vnni);
                for (int k = 0; k < 8; k++)
                {
                    Assert.Equal(expected[k], s[k]);
                }
            }
        }
    }
}
