using System.Runtime.InteropServices;

namespace Glm.Kernels.Quant;

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
