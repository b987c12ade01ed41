namespace Glm.Kernels.Tests;

public class Fp16Tests
{
    [Fact]
    public void HalfToSingle_IsExactForEveryBitPattern()
    {
        var all = new ushort[65536];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = (ushort)i;
        }
        var vec = new float[65536];
        Fp16.HalfToSingle(all, vec);
        for (int i = 0; i < all.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            float scalar = Fp16.HalfToSingle((ushort)i);
            if (float.IsNaN(expected))
            {
                Assert.True(float.IsNaN(scalar) && float.IsNaN(vec[i]), $"bits {i:X4}");
            }
            else
            {
                Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(scalar));
                Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(vec[i]));
            }
        }
    }

    [Theory]
    [InlineData(1.0f, 0x3C00)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(0.0078125f, 0x2000)]
    [InlineData(65504f, 0x7BFF)]
    [InlineData(1e6f, 0x7C00)]
    [InlineData(1.00048828125f, 0x3C00)] // halfway between 1 and 1+2^-10: ties to even
    [InlineData(1.00146484375f, 0x3C02)] // halfway between 1+2^-10 and 1+2^-9: ties to even
    public void SingleToHalf_RoundsToNearestEven(float value, int bits)
    {
        Assert.Equal((ushort)bits, Fp16.SingleToHalf(value));
    }

    [Theory]
    [InlineData(0x3F800000u, 0x3F80)]
    [InlineData(0x3F808000u, 0x3F80)] // tie, even stays
    [InlineData(0x3F818000u, 0x3F82)] // tie, odd rounds up
    [InlineData(0x3F808001u, 0x3F81)]
    [InlineData(0xC0490FDBu, 0xC049)]
    [InlineData(0x7F800001u, 0x7FC0)] // signalling NaN becomes quiet
    public void SingleToBFloat16_MatchesGgml(uint f32Bits, int bf16Bits)
    {
        Assert.Equal((ushort)bf16Bits, Fp16.SingleToBFloat16(BitConverter.UInt32BitsToSingle(f32Bits)));
    }

    [Fact]
    public void BFloat16ToSingle_ShiftsBits()
    {
        Assert.Equal(1.0f, Fp16.BFloat16ToSingle(0x3F80));
        Assert.Equal(-3.140625f, Fp16.BFloat16ToSingle(0xC049));
    }
}
