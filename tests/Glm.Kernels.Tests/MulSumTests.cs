using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Glm.Kernels.Dot;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

public class MulSumTests
{
    [Fact]
    public void Int8MulSum_AllVariantsMatchScalar()
    {
        if (!SimdPaths.V256Supported)
        {
            return;
        }
        var rng = new Random(3);
        var a = new sbyte[32];
        var b = new sbyte[32];
        for (int iter = 0; iter < 2000; iter++)
        {
            for (int i = 0; i < 32; i++)
            {
                // Quantizers emit −127..127; the extremes are the vpmaddubsw saturation edge.
                a[i] = iter % 3 == 0 ? (sbyte)(rng.Next(2) == 0 ? -127 : 127) : (sbyte)rng.Next(-127, 128);
                b[i] = iter % 5 == 0 ? (sbyte)(rng.Next(2) == 0 ? -127 : 127) : (sbyte)rng.Next(-127, 128);
            }
            Vector256<sbyte> va = Vector256.Create(a), vb = Vector256.Create(b);
            Vector256<int> vnniOrNot = DotQ8.MulSum(va, vb), avx2 = DotQ8.MulSumAvx2Only(va, vb);
            Vector256<byte> nib = va.AsByte() & Vector256.Create((byte)0x0f);
            Vector256<int> u = DotQ8.MulSumU(nib, vb), uAvx2 = DotQ8.MulSumUAvx2Only(nib, vb);
            Vector512<int> wide = SimdPaths.V512Supported
                ? DotQ8.MulSum(Vector512.Create(va, vb), Vector512.Create(vb, va))
                : Vector512<int>.Zero;
            for (int k = 0; k < 8; k++)
            {
                int expected = 0;
                for (int j = 0; j < 4; j++)
                {
                    expected += a[4 * k + j] * b[4 * k + j];
                }
                int expectedU = 0;
                for (int j = 0; j < 4; j++)
                {
                    expectedU += (a[4 * k + j] & 0x0f) * b[4 * k + j];
                }
                Assert.Equal(expectedU, u[k]);
                Assert.Equal(expectedU, uAvx2[k]);
                Assert.Equal(expected, vnniOrNot[k]);
                Assert.Equal(expected, avx2[k]);
                if (SimdPaths.V512Supported)
                {
                    Assert.Equal(expected, wide[k]);
                    Assert.Equal(expected, wide[8 + k]);
                }
            }
        }
    }

    [Theory]
    [InlineData(Q8_0.BlockBytes)]
    [InlineData(Q4_0.BlockBytes)]
    public unsafe void ScaleBits8_GatherAndPermuteFindEveryBlockScale(int blockBytes)
    {
        if (!SimdPaths.V256Supported)
        {
            return;
        }
        var rng = new Random(blockBytes);
        var bytes = new byte[8 * blockBytes];
        for (int iter = 0; iter < 200; iter++)
        {
            rng.NextBytes(bytes);
            fixed (byte* p = bytes)
            {
                Vector256<int> gathered = DotQ8.ScaleBits8(p, blockBytes, vbmi: false);
                Vector256<int> permuted = Avx512Vbmi.IsSupported ? DotQ8.ScaleBits8(p, blockBytes, vbmi: true) : gathered;
                for (int k = 0; k < 8; k++)
                {
                    int expected = bytes[k * blockBytes] | bytes[k * blockBytes + 1] << 8;
                    Assert.Equal(expected, gathered[k]);
                    Assert.Equal(expected, permuted[k]);
                }
            }
        }
    }
}
