namespace Glm.Checkpoints.Safetensors;

/// <summary>
/// Element types of the safetensors format, named as in the header's <c>dtype</c> field.
/// Declared in the format's alignment order (smallest first); <see cref="SafetensorsWriter"/> lays tensors out
/// largest-alignment first, then by name, which is what the Python library does.
/// </summary>
/// <remarks>
/// <see cref="F32"/>, <see cref="F16"/> and <see cref="BF16"/> can be read as floats; the others are read as raw bytes.
/// </remarks>
public enum DType
{
    BOOL,
    U8,
    I8,
    F8_E5M2,
    F8_E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}

/// <summary>Facts about <see cref="DType"/> values. Stateless and thread-safe.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(DType dtype) => dtype switch
    {
        DType.BOOL or DType.U8 or DType.I8 or DType.F8_E5M2 or DType.F8_E4M3 => 1,
        DType.I16 or DType.U16 or DType.F16 or DType.BF16 => 2,
        DType.I32 or DType.U32 or DType.F32 => 4,
        DType.F64 or DType.I64 or DType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype"),
    };

    /// <summary>True for the types <see cref="SafetensorsFile.ReadFloat32(string)"/> converts: F32, F16, BF16.</summary>
    public static bool IsFloat32Convertible(DType dtype) => dtype is DType.F32 or DType.F16 or DType.BF16;

    /// <summary>Parses a header <c>dtype</c> string (exact, case-sensitive, as the format defines it).</summary>
    public static bool TryParse(string text, out DType dtype)
    {
        // Enum.TryParse would also accept numbers and other casings; the format allows neither.
        foreach (var candidate in Enum.GetValues<DType>())
        {
            if (string.Equals(candidate.ToString(), text, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
