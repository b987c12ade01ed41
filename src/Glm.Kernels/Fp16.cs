using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Glm.Kernels;

/// <summary>
/// IEEE binary16 (fp16) and bfloat16 conversions, bit-exact with ggml: fp32 to fp16 rounds to nearest even
/// (GGML_FP32_TO_FP16), fp32 to bf16 rounds to nearest even and quiets NaNs (ggml_compute_fp32_to_bf16).
/// Values travel as their raw <see cref="ushort"/> bits, the way they sit in GGUF files. Pure functions; thread-safe.
/// </summary>
public static class Fp16
{
    private const float TwoPow112 = 5192296858534827628530496329220096f; // 2^112, exact

    /// <summary>fp16 bits to float (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToSingle(ushort bits)
    {
        // Same bit trick as the vector path: cheaper than the Half cast, and exact.
        uint o = (uint)(bits & 0x7fff) << 13;
        float f = o >= 0x0f800000u
            ? BitConverter.UInt32BitsToSingle(o | 0x7f800000u)
            : BitConverter.UInt32BitsToSingle(o) * TwoPow112;
        return BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(f) | ((uint)(bits & 0x8000) << 16));
    }

    /// <summary>float to fp16 bits, round to nearest even (overflow gives infinity).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort SingleToHalf(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>bf16 bits to float (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BFloat16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>float to bf16 bits, round to nearest even; a NaN stays a (quiet) NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort SingleToBFloat16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffffu) > 0x7f800000u)
        {
            return (ushort)((u >> 16) | 64);
        }
        return (ushort)((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
    }

    /// <summary>Converts fp16 bits to floats; <paramref name="dst"/> must be at least as long as <paramref name="src"/>.</summary>
    public static void HalfToSingle(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length)
        {
            throw new ArgumentException("Destination is too short.", nameof(dst));
        }
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= src.Length; i += 8)
            {
                HalfToSingle(Vector128.LoadUnsafe(ref Unsafe.AsRef(in src[i]))).StoreUnsafe(ref dst[i]);
            }
        }
        for (; i < src.Length; i++)
        {
            dst[i] = HalfToSingle(src[i]);
        }
    }

    /// <summary>Converts bf16 bits to floats; <paramref name="dst"/> must be at least as long as <paramref name="src"/>.</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length)
        {
            throw new ArgumentException("Destination is too short.", nameof(dst));
        }
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= src.Length; i += 8)
            {
                Vector256<uint> w = Vector256.WidenLower(Vector128.LoadUnsafe(ref Unsafe.AsRef(in src[i])).ToVector256Unsafe());
                (w << 16).AsSingle().StoreUnsafe(ref dst[i]);
            }
        }
        for (; i < src.Length; i++)
        {
            dst[i] = BFloat16ToSingle(src[i]);
        }
    }

    /// <summary>Converts floats to bf16 bits (round to nearest even, NaNs quieted).</summary>
    public static void SingleToBFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length)
        {
            throw new ArgumentException("Destination is too short.", nameof(dst));
        }
        for (int i = 0; i < src.Length; i++)
        {
            dst[i] = SingleToBFloat16(src[i]);
        }
    }

    /// <summary>Converts floats to fp16 bits (round to nearest even).</summary>
    public static void SingleToHalf(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length)
        {
            throw new ArgumentException("Destination is too short.", nameof(dst));
        }
        for (int i = 0; i < src.Length; i++)
        {
            dst[i] = SingleToHalf(src[i]);
        }
    }

    /// <summary>Eight fp16 values to eight floats, exact, including subnormals, infinities and NaNs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector128<ushort> h)
    {
        return HalfBitsToSingle(Vector256.WidenLower(h.ToVector256Unsafe()));
    }

    /// <summary>fp16 bits held in the low 16 bits of each 32-bit lane, to floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfBitsToSingle(Vector256<uint> w)
    {
        // Shift exponent and mantissa into place, then scale by 2^112 to re-bias (this also normalizes subnormals).
        Vector256<uint> o = (w & Vector256.Create(0x7fffu)) << 13;
        Vector256<float> f = o.AsSingle() * Vector256.Create(TwoPow112);
        Vector256<uint> infNan = Vector256.GreaterThanOrEqual(o, Vector256.Create(0x0f800000u));
        f = Vector256.ConditionalSelect(infNan.AsSingle(), (o | Vector256.Create(0x7f800000u)).AsSingle(), f);
        return f | ((w & Vector256.Create(0x8000u)) << 16).AsSingle();
    }

    /// <summary>fp16 bits held in the low 16 bits of each 32-bit lane, to floats (512-bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> HalfBitsToSingle(Vector512<uint> w)
    {
        Vector512<uint> o = (w & Vector512.Create(0x7fffu)) << 13;
        Vector512<float> f = o.AsSingle() * Vector512.Create(TwoPow112);
        Vector512<uint> infNan = Vector512.GreaterThanOrEqual(o, Vector512.Create(0x0f800000u));
        f = Vector512.ConditionalSelect(infNan.AsSingle(), (o | Vector512.Create(0x7f800000u)).AsSingle(), f);
        return f | ((w & Vector512.Create(0x8000u)) << 16).AsSingle();
    }
}
