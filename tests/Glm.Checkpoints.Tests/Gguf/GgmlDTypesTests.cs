using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.Safetensors;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Tests.Gguf;

public class GgmlDTypesTests
{
    [Fact]
    public void DTypeMapping()
    {
        Assert.True(GgmlDTypes.TryToDType(GgmlType.BF16, out var dtype));
        Assert.Equal(DType.BF16, dtype);
        Assert.False(GgmlDTypes.TryToDType(GgmlType.Q4_0, out _));
        Assert.True(GgmlDTypes.TryFromDType(DType.F16, out var type));
        Assert.Equal(GgmlType.F16, type);
        Assert.False(GgmlDTypes.TryFromDType(DType.BOOL, out _));
    }
}
