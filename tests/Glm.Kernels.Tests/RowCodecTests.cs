using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

public class RowCodecTests
{
    [Theory]
    [InlineData(GgmlType.F32, 0f)]
    [InlineData(GgmlType.F16, 1e-3f)]
    [InlineData(GgmlType.BF16, 8e-3f)]
    [InlineData(GgmlType.Q8_0, 0.03f)]
    [InlineData(GgmlType.Q4_0, 0.5f)]
    [InlineData(GgmlType.Q6_K, 0.15f)]
    [InlineData(GgmlType.Q8_K, 0.03f)]
    public void RoundTrip_WithinTypeTolerance(GgmlType type, float maxAbsError)
    {
        const int n = 512;
        float[] x = TestUtil.Gaussian(n, (int)type);
        var bytes = new byte[GgmlTypes.RowBytes(type, n)];
        RowCodec.Quantize(type, x, bytes);
        var back = new float[n];
        RowCodec.Dequantize(type, bytes, back);
        for (int i = 0; i < n; i++)
        {
            Assert.True(MathF.Abs(x[i] - back[i]) <= maxAbsError * MathF.Max(1f, MathF.Abs(x[i])), $"{type}[{i}]: {x[i]} vs {back[i]}");
        }
    }

    [Fact]
    public void Half_And_BFloat16_SpanConversions_MatchScalar()
    {
        for (int n = 0; n <= 40; n++)
        {
            float[] x = TestUtil.Gaussian(n, n);
            var h = new ushort[n];
            var b = new ushort[n];
            Fp16.SingleToHalf(x, h);
            Fp16.SingleToBFloat16(x, b);
            var hf = new float[n];
            var bf = new float[n];
            Fp16.HalfToSingle(h, hf);
            Fp16.BFloat16ToSingle(b, bf);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(Fp16.HalfToSingle(Fp16.SingleToHalf(x[i])), hf[i]);
                Assert.Equal(Fp16.BFloat16ToSingle(Fp16.SingleToBFloat16(x[i])), bf[i]);
            }
        }
    }
}
