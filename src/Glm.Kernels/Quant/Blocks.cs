using System.Runtime.InteropServices;

namespace Glm.Kernels.Quant;

/// <summary>
/// ggml block type ids, as stored in GGUF tensor infos (ggml.h <c>enum ggml_type</c>). Only the types these kernels
/// implement are listed.
/// </summary>
public enum GgmlType
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q8_0 = 8,
    Q6_K = 14,
    Q8_K = 15,
    BF16 = 30,
}

/// <summary>Q8_0: 32 values in 34 bytes, <c>value = qs[j] * d</c> (ggml <c>block_q8_0</c>).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ8_0
{
    /// <summary>Scale, fp16 bits.</summary>
    public ushort D;

    /// <summary>Quants, element j at index j.</summary>
    public fixed sbyte Qs[32];
}

/// <summary>
/// Q4_0: 32 values in 18 bytes (ggml <c>block_q4_0</c>). Byte j holds element j in its low nibble and element j+16 in
/// its high nibble; <c>value = (q - 8) * d</c>.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ4_0
{
    /// <summary>Scale, fp16 bits.</summary>
    public ushort D;

    /// <summary>Packed 4-bit quants.</summary>
    public fixed byte Qs[16];
}

/// <summary>
/// Q6_K: 256 values in 210 bytes (ggml <c>block_q6_K</c>): 16 sub-blocks of 16 with int8 scales and a fp16 super-scale.
/// <c>value = d * scales[e / 16] * (q6 - 32)</c>. For element e: half h = e / 128, r = e % 128, group g = r / 32,
/// l = r % 32: the low 4 bits are in <c>Ql[h*64 + l + 32*(g&amp;1)]</c> (low nibble for g &lt; 2, high for g ≥ 2), the
/// high 2 bits are bits 2g..2g+1 of <c>Qh[h*32 + l]</c>.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ6_K
{
    /// <summary>Lower 4 bits of the quants.</summary>
    public fixed byte Ql[128];

    /// <summary>Upper 2 bits of the quants.</summary>
    public fixed byte Qh[64];

    /// <summary>Sub-block scales.</summary>
    public fixed sbyte Scales[16];

    /// <summary>Super-block scale, fp16 bits.</summary>
    public ushort D;
}

/// <summary>
/// Q8_K: 256 values in 292 bytes (ggml <c>block_q8_K</c>), only used for activations: float scale, int8 quants and the
/// sum of each group of 16 quants.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ8_K
{
    /// <summary>Scale (fp32, not fp16).</summary>
    public float D;

    /// <summary>Quants.</summary>
    public fixed sbyte Qs[256];

    /// <summary>Sum of quants 16*j .. 16*j+15.</summary>
    public fixed short BSums[16];
}

/// <summary>Sizes of the block formats. Thread-safe, pure.</summary>
public static class GgmlTypes
{
    /// <summary>Values per block (1 for the float types).</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 1,
        GgmlType.Q4_0 or GgmlType.Q8_0 => 32,
        GgmlType.Q6_K or GgmlType.Q8_K => 256,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported ggml type."),
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q4_0 => 18,
        GgmlType.Q8_0 => 34,
        GgmlType.Q6_K => 210,
        GgmlType.Q8_K => 292,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported ggml type."),
    };

    /// <summary>Bytes of a row of <paramref name="n"/> values; throws unless n is a multiple of the block size.</summary>
    public static int RowBytes(GgmlType type, int n)
    {
        int bs = BlockSize(type);
        if (n < 0 || n % bs != 0)
        {
            throw new ArgumentException($"Row length {n} is not a multiple of the {type} block size {bs}.", nameof(n));
        }
        return n / bs * BlockBytes(type);
    }
}
