using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Glm.Checkpoints.Safetensors;

/// <summary>
/// Conversions between float32 and the 16-bit float formats safetensors stores (IEEE binary16 "F16" and bfloat16
/// "BF16"), as raw bit patterns. Narrowing rounds to nearest, ties to even; widening is exact. Stateless, thread-safe.
/// </summary>
public static class FloatConversions
{
    /// <summary>
    /// Rounds <paramref name="value"/> to bfloat16 (the top 16 bits of a float32), ties to even. Values past the
    /// largest bfloat16 round to infinity. A NaN stays a NaN of the same sign with the quiet bit set (plain truncation
    /// could turn a NaN whose payload sits in the low bits into infinity).
    /// </summary>
    public static ushort ToBFloat16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        uint lsb = (bits >> 16) & 1;
        return (ushort)((bits + 0x7FFFu + lsb) >> 16);
    }

    /// <summary>Widens a bfloat16 bit pattern to float32 (exact).</summary>
    public static float FromBFloat16Bits(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Rounds <paramref name="value"/> to IEEE binary16, ties to even (subnormals and overflow to infinity
    /// included), using <see cref="Half"/>.</summary>
    public static ushort ToHalfBits(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>Widens an IEEE binary16 bit pattern to float32 (exact).</summary>
    public static float FromHalfBits(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>
    /// Decodes little-endian elements of <paramref name="dtype"/> (F32, F16 or BF16) into float32.
    /// <paramref name="source"/> holds exactly <c>destination.Length</c> elements.
    /// </summary>
    internal static void Decode(DType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case DType.F32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case DType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = FromHalfBits(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]));
                break;
            case DType.BF16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = FromBFloat16Bits(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "only F32, F16 and BF16 decode to float32");
        }
    }

    /// <summary>
    /// Encodes float32 values as little-endian <paramref name="dtype"/> elements (F32, F16 or BF16).
    /// <paramref name="destination"/> holds exactly <c>source.Length</c> elements.
    /// </summary>
    internal static void Encode(DType dtype, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (dtype)
        {
            case DType.F32:
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case DType.F16:
                for (int i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], ToHalfBits(source[i]));
                break;
            case DType.BF16:
                for (int i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], ToBFloat16Bits(source[i]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "only F32, F16 and BF16 encode from float32");
        }
    }
}
