using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

public class GgmlTypesTests
{
    [Theory]
    [InlineData(GgmlType.F32, 0u, 1, 4)]
    [InlineData(GgmlType.F16, 1u, 1, 2)]
    [InlineData(GgmlType.Q4_0, 2u, 32, 18)]
    [InlineData(GgmlType.Q4_1, 3u, 32, 20)]
    [InlineData(GgmlType.Q5_0, 6u, 32, 22)]
    [InlineData(GgmlType.Q8_0, 8u, 32, 34)]
    [InlineData(GgmlType.Q2_K, 10u, 256, 84)]
    [InlineData(GgmlType.Q3_K, 11u, 256, 110)]
    [InlineData(GgmlType.Q4_K, 12u, 256, 144)]
    [InlineData(GgmlType.Q5_K, 13u, 256, 176)]
    [InlineData(GgmlType.Q6_K, 14u, 256, 210)]
    [InlineData(GgmlType.Q8_K, 15u, 256, 292)]
    [InlineData(GgmlType.IQ4_NL, 20u, 32, 18)]
    [InlineData(GgmlType.IQ4_XS, 23u, 256, 136)]
    [InlineData(GgmlType.BF16, 30u, 1, 2)]
    [InlineData(GgmlType.TQ2_0, 35u, 256, 66)]
    public void BlockTable(GgmlType type, uint id, int block, int bytes)
    {
        Assert.Equal(id, (uint)type);
        Assert.True(GgmlTypes.IsKnown(id));
        Assert.Equal(block, GgmlTypes.BlockSize(type));
        Assert.Equal(bytes, GgmlTypes.BytesPerBlock(type));
    }

    [Theory]
    [InlineData(4u)]
    [InlineData(5u)]
    [InlineData(31u)]
    [InlineData(40u)]
    [InlineData(uint.MaxValue)]
    public void RemovedOrUnknownIdsAreNotTypes(uint id) => Assert.False(GgmlTypes.IsKnown(id));

    [Fact]
    public void ByteLengthCountsBlocksPerRow()
    {
        Assert.Equal(3 * 2 * 34, GgmlTypes.ByteLength(GgmlType.Q8_0, [64, 3]));
        Assert.Equal(5 * 4, GgmlTypes.ByteLength(GgmlType.F32, [5]));
        Assert.Equal(4, GgmlTypes.ByteLength(GgmlType.F32, []));
        Assert.Equal(0, GgmlTypes.ByteLength(GgmlType.F16, [8, 0]));
        Assert.Equal(2 * 144, GgmlTypes.ByteLength(GgmlType.Q4_K, [256, 1, 2, 1]));
    }

    [Fact]
    public void RowsMustHoldWholeBlocks()
    {
        // 64 elements in total, but rows of 16: a Q8_0 block cannot straddle rows.
        var error = Assert.Throws<ArgumentException>(() => GgmlTypes.ByteLength(GgmlType.Q8_0, [16, 4]));
        Assert.Contains("block size 32", error.Message);
    }
}
