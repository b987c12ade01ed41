using System.Runtime.InteropServices;

namespace Glm.Kernels.Quant;

/// <summary>
/// One entry point per direction over every implemented ggml type, for converters and embedding lookups: a row of
/// floats to its GGUF bytes (the bit-exact ggml reference quantizers; fp16/bf16 round to nearest even) and back.
/// Row lengths must be multiples of the type's block size; destinations are caller-owned. Stateless, thread-safe,
/// allocation-free.
/// </summary>
public static class RowCodec
{
    /// <summary>Encodes <paramref name="x"/> as <paramref name="type"/> into <paramref name="dst"/> (at least RowBytes).</summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> x, Span<byte> dst)
    {
        int bytes = GgmlTypes.RowBytes(type, x.Length);
        if (dst.Length < bytes)
        {
            throw new ArgumentException($"Need {bytes} bytes, got {dst.Length}.", nameof(dst));
        }
        switch (type)
        {
            case GgmlType.F32:
                MemoryMarshal.AsBytes(x).CopyTo(dst);
                break;
            case GgmlType.F16:
                Fp16.SingleToHalf(x, MemoryMarshal.Cast<byte, ushort>(dst[..bytes]));
                break;
            case GgmlType.BF16:
                Fp16.SingleToBFloat16(x, MemoryMarshal.Cast<byte, ushort>(dst[..bytes]));
                break;
            case GgmlType.Q8_0:
                Q8_0.QuantizeReference(x, dst);
                break;
            case GgmlType.Q4_0:
                Q4_0.QuantizeReference(x, dst);
                break;
            case GgmlType.Q6_K:
                Q6_K.QuantizeReference(x, dst);
                break;
            case GgmlType.Q8_K:
                Q8_K.QuantizeReference(x, dst);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported ggml type.");
        }
    }

    /// <summary>Decodes <paramref name="dst"/>.Length values of <paramref name="type"/> from <paramref name="src"/>.</summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        int bytes = GgmlTypes.RowBytes(type, dst.Length);
        if (src.Length < bytes)
        {
            throw new ArgumentException($"Need {bytes} bytes, got {src.Length}.", nameof(src));
        }
        switch (type)
        {
            case GgmlType.F32:
                MemoryMarshal.Cast<byte, float>(src[..bytes]).CopyTo(dst);
                break;
            case GgmlType.F16:
                Fp16.HalfToSingle(MemoryMarshal.Cast<byte, ushort>(src[..bytes]), dst);
                break;
            case GgmlType.BF16:
                Fp16.BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(src[..bytes]), dst);
                break;
            case GgmlType.Q8_0:
                Q8_0.Dequantize(src, dst);
                break;
            case GgmlType.Q4_0:
                Q4_0.Dequantize(src, dst);
                break;
            case GgmlType.Q6_K:
                Q6_K.Dequantize(src, dst);
                break;
            case GgmlType.Q8_K:
                Q8_K.Dequantize(src, dst);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported ggml type.");
        }
    }
}
