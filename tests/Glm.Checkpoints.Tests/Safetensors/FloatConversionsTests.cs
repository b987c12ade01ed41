using Glm.Checkpoints.Safetensors;

namespace Glm.Checkpoints.Tests.Safetensors;

public class FloatConversionsTests
{
    private static float Bits(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1.0
    [InlineData(0xC0200000u, (ushort)0xC020)] // -2.5
    [InlineData(0x00000000u, (ushort)0x0000)] // +0
    [InlineData(0x80000000u, (ushort)0x8000)] // -0
    [InlineData(0x477FE000u, (ushort)0x4780)] // 65504 rounds up to 65536
    [InlineData(0x7F800000u, (ushort)0x7F80)] // +inf
    [InlineData(0xFF800000u, (ushort)0xFF80)] // -inf
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // float.MaxValue overflows to +inf
    [InlineData(0x7F7F7FFFu, (ushort)0x7F7F)] // just under the halfway point stays finite
    [InlineData(0x000116C2u, (ushort)0x0001)] // float subnormal rounds to the bf16 subnormal
    [InlineData(0x00008000u, (ushort)0x0000)] // subnormal tie, even below: down
    [InlineData(0x00018000u, (ushort)0x0002)] // subnormal tie, odd below: up
    [InlineData(0x3F808000u, (ushort)0x3F80)] // tie, even below: down
    [InlineData(0x3F818000u, (ushort)0x3F82)] // tie, odd below: up
    [InlineData(0xBF818000u, (ushort)0xBF82)] // negative tie, odd below: away from zero
    [InlineData(0x3F808001u, (ushort)0x3F81)] // just above the tie: up
    [InlineData(0x3F807FFFu, (ushort)0x3F80)] // just below the tie: down
    [InlineData(0x7FC00000u, (ushort)0x7FC0)] // quiet NaN
    [InlineData(0xFFC00000u, (ushort)0xFFC0)] // negative quiet NaN keeps its sign
    [InlineData(0x7F800001u, (ushort)0x7FC0)] // NaN with a low payload must not become +inf
    [InlineData(0x7FFFFFFFu, (ushort)0x7FFF)] // NaN with all payload bits must not carry into the sign
    public void BFloat16_KnownConversions(uint input, ushort expected)
    {
        Assert.Equal(expected, FloatConversions.ToBFloat16Bits(Bits(input)));
    }

    [Fact]
    public void BFloat16_EveryPatternWidensAndNarrowsBack()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float wide = FloatConversions.FromBFloat16Bits((ushort)bits);
            Assert.Equal((uint)bits << 16, BitConverter.SingleToUInt32Bits(wide));
            ushort back = FloatConversions.ToBFloat16Bits(wide);
            if (float.IsNaN(wide)) Assert.True(float.IsNaN(FloatConversions.FromBFloat16Bits(back)));
            else Assert.Equal((ushort)bits, back);
        }
    }

    [Fact]
    public void BFloat16_RoundsToTheNearestNeighbour()
    {
        var random = new Random(1234);
        for (int i = 0; i < 20000; i++)
        {
            float x = Bits((uint)random.NextInt64(0, 0x7F7FFFFF)) * (random.Next(2) == 0 ? 1 : -1);
            float rounded = FloatConversions.FromBFloat16Bits(FloatConversions.ToBFloat16Bits(x));
            uint truncated = BitConverter.SingleToUInt32Bits(x) & 0xFFFF0000u;
            double down = Bits(truncated), up = Bits(truncated + 0x10000u);
            double best = Math.Min(Math.Abs(x - down), Math.Abs(x - up));
            Assert.Equal(best, Math.Abs(x - (double)rounded));
        }
    }

    [Theory]
    [InlineData(1.0f, (ushort)0x3C00)]
    [InlineData(-2.5f, (ushort)0xC100)]
    [InlineData(-0.0f, (ushort)0x8000)]
    [InlineData(65504f, (ushort)0x7BFF)] // largest finite half
    [InlineData(65519.996f, (ushort)0x7BFF)] // below the halfway point to 65536: stays finite
    [InlineData(65520f, (ushort)0x7C00)] // halfway, ties to even = 65536 = overflow to +inf
    [InlineData(float.PositiveInfinity, (ushort)0x7C00)]
    [InlineData(float.NegativeInfinity, (ushort)0xFC00)]
    [InlineData(6.103515625e-05f, (ushort)0x0400)] // 2^-14, smallest normal
    [InlineData(5.9604645e-08f, (ushort)0x0001)] // 2^-24, smallest subnormal
    [InlineData(2.9802322e-08f, (ushort)0x0000)] // 2^-25, tie between 0 and 2^-24: even = 0
    [InlineData(8.940697e-08f, (ushort)0x0002)] // 3 x 2^-25, tie between 1 and 2 x 2^-24: even = 2
    [InlineData(1.00048828125f, (ushort)0x3C00)] // 1 + 2^-11, tie: even = 1.0
    [InlineData(1.00146484375f, (ushort)0x3C02)] // 1 + 3 x 2^-11, tie: even = 1 + 2^-9
    public void Half_KnownConversions(float input, ushort expected)
    {
        Assert.Equal(expected, FloatConversions.ToHalfBits(input));
    }

    [Fact]
    public void Half_NaNStaysNaN()
    {
        ushort bits = FloatConversions.ToHalfBits(float.NaN);
        Assert.Equal(0x7C00, bits & 0x7C00);
        Assert.NotEqual(0, bits & 0x03FF);
        Assert.True(float.IsNaN(FloatConversions.FromHalfBits(bits)));
    }

    [Fact]
    public void Half_EveryPatternWidensAndNarrowsBack()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float wide = FloatConversions.FromHalfBits((ushort)bits);
            if (float.IsNaN(wide)) continue;
            Assert.Equal((ushort)bits, FloatConversions.ToHalfBits(wide));
        }
        Assert.Equal(65504f, FloatConversions.FromHalfBits(0x7BFF));
        Assert.Equal(5.9604645e-08f, FloatConversions.FromHalfBits(0x0001));
    }
}
