using Glm.Checkpoints.Safetensors;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Gguf;

/// <summary>Maps between ggml element types and safetensors dtypes. Stateless, thread-safe.</summary>
public static class GgmlDTypes
{
    /// <summary>The safetensors dtype holding the same elements (F32, F16, BF16, I8..I64, F64); false for quantized types.</summary>
    public static bool TryToDType(GgmlType type, out DType dtype)
    {
        dtype = type switch
        {
            GgmlType.F32 => DType.F32,
            GgmlType.F16 => DType.F16,
            GgmlType.BF16 => DType.BF16,
            GgmlType.F64 => DType.F64,
            GgmlType.I8 => DType.I8,
            GgmlType.I16 => DType.I16,
            GgmlType.I32 => DType.I32,
            GgmlType.I64 => DType.I64,
            _ => (DType)(-1),
        };
        return dtype != (DType)(-1);
    }

    /// <summary>The ggml type holding the same elements as <paramref name="dtype"/>; false for dtypes GGUF has no type for.</summary>
    public static bool TryFromDType(DType dtype, out GgmlType type)
    {
        type = dtype switch
        {
            DType.F32 => GgmlType.F32,
            DType.F16 => GgmlType.F16,
            DType.BF16 => GgmlType.BF16,
            DType.F64 => GgmlType.F64,
            DType.I8 => GgmlType.I8,
            DType.I16 => GgmlType.I16,
            DType.I32 => GgmlType.I32,
            DType.I64 => GgmlType.I64,
            _ => (GgmlType)uint.MaxValue,
        };
        return type != (GgmlType)uint.MaxValue;
    }
}
