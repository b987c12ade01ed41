using System.Runtime.CompilerServices;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

public class QuantLayoutTests
{
    [Fact]
    public void BlockSizes_MatchGgml()
    {
        Assert.Equal(34, Unsafe.SizeOf<BlockQ8_0>());
        Assert.Equal(18, Unsafe.SizeOf<BlockQ4_0>());
        Assert.Equal(210, Unsafe.SizeOf<BlockQ6_K>());
        Assert.Equal(292, Unsafe.SizeOf<BlockQ8_K>());
        Assert.Equal(34 * 128, GgmlTypes.RowBytes(GgmlType.Q8_0, 4096));
        Assert.Equal(210 * 16, GgmlTypes.RowBytes(GgmlType.Q6_K, 4096));
        Assert.Throws<ArgumentException>(() => GgmlTypes.RowBytes(GgmlType.Q4_0, 33));
    }

    [Fact]
    public void Q8_0_Reference_HandComputedBlock()
    {
        // Block 0: amax 127 so d = 1 (fp16 0x3C00); halves round away from zero. Block 1: all zero, d = 0.
        var x = new float[64];
        x[0] = 127;
        for (int j = 1; j < 32; j++)
        {
            x[j] = (j - 16) * 0.5f;
        }
        sbyte[] q = [127, -8, -7, -7, -6, -6, -5, -5, -4, -4, -3, -3, -2, -2, -1, -1,
                     0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8];
        var expected = new byte[68];
        expected[0] = 0x00;
        expected[1] = 0x3C;
        for (int j = 0; j < 32; j++)
        {
            expected[2 + j] = (byte)q[j];
        }
        var actual = new byte[68];
        Q8_0.QuantizeReference(x, actual);
        Assert.Equal(expected, actual);
        var fast = new byte[68];
        Q8_0.Quantize(x, fast);
        Assert.Equal(expected, fast);
    }

    [Fact]
    public void Q4_0_Reference_HandComputedBlocks()
    {
        var x = new float[64];
        // Block 0: max −8 so d = 1, q = trunc(x + 8.5) clamped to 15.
        for (int j = 0; j < 16; j++)
        {
            x[j] = j - 8;
            x[16 + j] = 7.6f - j;
        }
        // Block 1: max +8 (first of ±8) so d = −1; −8·(−1) + 8.5 = 16.5 clamps to 15; zeros give 8.
        x[32] = 8;
        x[33] = -8;
        var expected = new byte[36];
        expected[0] = 0x00;
        expected[1] = 0x3C;
        for (int j = 0; j < 16; j++)
        {
            int hi = j == 0 ? 15 : 16 - j;
            expected[2 + j] = (byte)(j | (hi << 4));
        }
        expected[18] = 0x00;
        expected[19] = 0xBC;
        expected[20] = 0x80;
        expected[21] = 0x8F;
        for (int j = 2; j < 16; j++)
        {
            expected[20 + j] = 0x88;
        }
        var actual = new byte[36];
        Q4_0.QuantizeReference(x, actual);
        Assert.Equal(expected, actual);

        var back = new float[64];
        Q4_0.Dequantize(actual, back);
        Assert.Equal(-8f, back[0]);
        Assert.Equal(7f, back[15]);
        Assert.Equal(7f, back[16]); // 7.6 clamped to q = 15
        Assert.Equal(8f, back[32]);
        Assert.Equal(-7f, back[33]); // −8 clamped
    }

    /// <summary>Element e of a Q6_K block, written with the documented position formula (independent of the packer).</summary>
    private static void PutQ6(byte[] block, int e, int q)
    {
        int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
        int qlIndex = h * 64 + l + 32 * (g & 1);
        block[qlIndex] |= (byte)(g < 2 ? q & 0xf : (q & 0xf) << 4);
        block[128 + h * 32 + l] |= (byte)((q >> 4) << (2 * g));
    }

    [Fact]
    public void Q6_K_Reference_ExactlyRepresentableBlock()
    {
        // Sub-blocks of integers in [−32, 31] that each contain −32 (even sub-blocks) or of halves of such (odd ones):
        // the least-squares scales are exactly 1 and 0.5, d = −1/128 (fp16 0xA000), int8 scales −128 and −64.
        var x = new float[256];
        var m = new int[256];
        for (int e = 0; e < 256; e++)
        {
            m[e] = e % 16 == 0 ? -32 : (e * 37 + 11) % 64 - 32;
            x[e] = (e / 16) % 2 == 0 ? m[e] : m[e] * 0.5f;
        }
        var expected = new byte[210];
        for (int e = 0; e < 256; e++)
        {
            PutQ6(expected, e, m[e] + 32);
        }
        for (int s = 0; s < 16; s++)
        {
            expected[192 + s] = (byte)(s % 2 == 0 ? 0x80 : 0xC0);
        }
        expected[208] = 0x00;
        expected[209] = 0xA0;
        var actual = new byte[210];
        Q6_K.QuantizeReference(x, actual);
        Assert.Equal(expected, actual);

        var back = new float[256];
        Q6_K.Dequantize(actual, back);
        Assert.Equal(x, back);
    }

    [Fact]
    public void Q6_K_ZeroBlockIsAllZero()
    {
        var actual = new byte[420];
        Array.Fill(actual, (byte)0xff);
        var x = new float[512];
        x[300] = 1f;
        Q6_K.QuantizeReference(x, actual);
        Assert.All(actual.AsSpan(0, 210).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Q8_K_Reference_HandComputedBlock()
    {
        // max = −127 so iscale = 1 and d = 1: quants are the values, group sums are hand-summed.
        var x = new float[256];
        x[0] = -127;
        for (int j = 1; j < 256; j++)
        {
            x[j] = j % 7 - 3;
        }
        var actual = new byte[292];
        Q8_K.QuantizeReference(x, actual);
        Assert.Equal(1f, BitConverter.ToSingle(actual, 0));
        for (int j = 0; j < 256; j++)
        {
            Assert.Equal((sbyte)x[j], (sbyte)actual[4 + j]);
        }
        for (int g = 0; g < 16; g++)
        {
            int sum = 0;
            for (int k = 0; k < 16; k++)
            {
                sum += (int)x[g * 16 + k];
            }
            Assert.Equal(sum, BitConverter.ToInt16(actual, 260 + 2 * g));
        }
        var fast = new byte[292];
        Q8_K.Quantize(x, fast);
        Assert.Equal(actual, fast);
    }
}
