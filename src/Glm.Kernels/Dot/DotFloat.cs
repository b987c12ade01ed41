using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Glm.Kernels.Dot;

/// <summary>
/// Dot products of a weight row in F32, F16 or BF16 (raw 16-bit patterns) with an F32 vector of the same length.
/// Pointers must stay valid (pinned) for the call; nothing allocates. F32 uses TensorPrimitives.Dot; F16 and BF16 are
/// fused convert-and-FMA loops (no TensorPrimitives equivalent without an intermediate buffer).
/// </summary>
internal static unsafe class DotFloat
{
    public static float F32Reference(float* w, float* x, int n)
    {
        float s = 0f;
        for (int i = 0; i < n; i++)
        {
            s += w[i] * x[i];
        }
        return s;
    }

    public static float F32(float* w, float* x, int n) =>
        TensorPrimitives.Dot(new ReadOnlySpan<float>(w, n), new ReadOnlySpan<float>(x, n));

    public static float F16Reference(ushort* w, float* x, int n)
    {
        float s = 0f;
        for (int i = 0; i < n; i++)
        {
            s += Fp16.HalfToSingle(w[i]) * x[i];
        }
        return s;
    }

    public static float BF16Reference(ushort* w, float* x, int n)
    {
        float s = 0f;
        for (int i = 0; i < n; i++)
        {
            s += Fp16.BFloat16ToSingle(w[i]) * x[i];
        }
        return s;
    }

    public static float F16(ushort* w, float* x, int n, SimdPath path) => path switch
    {
        SimdPath.V512 => Half512(w, x, n, bf16: false),
        SimdPath.V256 => Half256(w, x, n, bf16: false),
        _ => F16Reference(w, x, n),
    };

    public static float BF16(ushort* w, float* x, int n, SimdPath path) => path switch
    {
        SimdPath.V512 => Half512(w, x, n, bf16: true),
        SimdPath.V256 => Half256(w, x, n, bf16: true),
        _ => BF16Reference(w, x, n),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen256(Vector256<uint> bits, bool bf16) =>
        bf16 ? (bits << 16).AsSingle() : Fp16.HalfBitsToSingle(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen512(Vector512<uint> bits, bool bf16) =>
        bf16 ? (bits << 16).AsSingle() : Fp16.HalfBitsToSingle(bits);

    private static float Half256(ushort* w, float* x, int n, bool bf16)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector256<ushort> h = Vector256.Load(w + i);
            a0 = Vector256.FusedMultiplyAdd(Widen256(Vector256.WidenLower(h), bf16), Vector256.Load(x + i), a0);
            a1 = Vector256.FusedMultiplyAdd(Widen256(Vector256.WidenUpper(h), bf16), Vector256.Load(x + i + 8), a1);
        }
        float s = Vector256.Sum(a0 + a1);
        for (; i < n; i++)
        {
            s += (bf16 ? Fp16.BFloat16ToSingle(w[i]) : Fp16.HalfToSingle(w[i])) * x[i];
        }
        return s;
    }

    private static float Half512(ushort* w, float* x, int n, bool bf16)
    {
        Vector512<float> a0 = Vector512<float>.Zero, a1 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            Vector512<ushort> h = Vector512.Load(w + i);
            a0 = Vector512.FusedMultiplyAdd(Widen512(Vector512.WidenLower(h), bf16), Vector512.Load(x + i), a0);
            a1 = Vector512.FusedMultiplyAdd(Widen512(Vector512.WidenUpper(h), bf16), Vector512.Load(x + i + 16), a1);
        }
        float s = Vector512.Sum(a0 + a1);
        return s + Half256(w + i, x + i, n - i, bf16);
    }

    /// <summary>
    /// One F32/F16/BF16 weight row against four F32 activation rows <paramref name="stride"/> floats apart: each weight
    /// vector is loaded (and widened) once and used for four FMAs.
    /// </summary>
    public static Vector128<float> Dot4(byte* w, bool half, bool bf16, float* x, long stride, int n, SimdPath path)
    {
        if (path == SimdPath.V512)
        {
            return !half ? Dot4V512<F32Row>(w, x, stride, n) : bf16 ? Dot4V512<BF16Row>(w, x, stride, n) : Dot4V512<F16Row>(w, x, stride, n);
        }
        if (path == SimdPath.V256)
        {
            return !half ? Dot4V256<F32Row>(w, x, stride, n) : bf16 ? Dot4V256<BF16Row>(w, x, stride, n) : Dot4V256<F16Row>(w, x, stride, n);
        }
        return !half ? Dot4Tail<F32Row>(w, x, stride, 0, n) : bf16 ? Dot4Tail<BF16Row>(w, x, stride, 0, n) : Dot4Tail<F16Row>(w, x, stride, 0, n);
    }

    /// <summary>How a weight row's elements become floats; a struct type parameter so each format gets its own code.</summary>
    private interface IRow
    {
        static abstract Vector512<float> Load512(byte* w, int i);
        static abstract Vector256<float> Load256(byte* w, int i);
        static abstract float Get(byte* w, int i);
    }

    private readonly struct F32Row : IRow
    {
        public static Vector512<float> Load512(byte* w, int i) => Vector512.Load((float*)w + i);
        public static Vector256<float> Load256(byte* w, int i) => Vector256.Load((float*)w + i);
        public static float Get(byte* w, int i) => ((float*)w)[i];
    }

    private readonly struct F16Row : IRow
    {
        public static Vector512<float> Load512(byte* w, int i) =>
            Fp16.HalfBitsToSingle(Vector512.WidenLower(Vector256.Load((ushort*)w + i).ToVector512Unsafe()));
        public static Vector256<float> Load256(byte* w, int i) =>
            Fp16.HalfBitsToSingle(Vector256.WidenLower(Vector128.Load((ushort*)w + i).ToVector256Unsafe()));
        public static float Get(byte* w, int i) => Fp16.HalfToSingle(((ushort*)w)[i]);
    }

    private readonly struct BF16Row : IRow
    {
        public static Vector512<float> Load512(byte* w, int i) =>
            (Vector512.WidenLower(Vector256.Load((ushort*)w + i).ToVector512Unsafe()) << 16).AsSingle();
        public static Vector256<float> Load256(byte* w, int i) =>
            (Vector256.WidenLower(Vector128.Load((ushort*)w + i).ToVector256Unsafe()) << 16).AsSingle();
        public static float Get(byte* w, int i) => Fp16.BFloat16ToSingle(((ushort*)w)[i]);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Dot4V512<TRow>(byte* w, float* x, long stride, int n) where TRow : struct, IRow
    {
        float* x0 = x, x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector512<float> wv = TRow.Load512(w, i);
            a0 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x0 + i), a0);
            a1 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x1 + i), a1);
            a2 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x2 + i), a2);
            a3 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x3 + i), a3);
        }
        Vector128<float> s = Vector128.Create(Vector512.Sum(a0), Vector512.Sum(a1), Vector512.Sum(a2), Vector512.Sum(a3));
        return i < n ? s + Dot4Tail<TRow>(w, x, stride, i, n) : s;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Dot4V256<TRow>(byte* w, float* x, long stride, int n) where TRow : struct, IRow
    {
        float* x0 = x, x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Vector256<float> wv = TRow.Load256(w, i);
            a0 = Vector256.FusedMultiplyAdd(wv, Vector256.Load(x0 + i), a0);
            a1 = Vector256.FusedMultiplyAdd(wv, Vector256.Load(x1 + i), a1);
            a2 = Vector256.FusedMultiplyAdd(wv, Vector256.Load(x2 + i), a2);
            a3 = Vector256.FusedMultiplyAdd(wv, Vector256.Load(x3 + i), a3);
        }
        Vector128<float> s = Vector128.Create(Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        return i < n ? s + Dot4Tail<TRow>(w, x, stride, i, n) : s;
    }

    private static Vector128<float> Dot4Tail<TRow>(byte* w, float* x, long stride, int i, int n) where TRow : struct, IRow
    {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (; i < n; i++)
        {
            float wi = TRow.Get(w, i);
            s0 += wi * x[i];
            s1 += wi * x[stride + i];
            s2 += wi * x[2 * stride + i];
            s3 += wi * x[3 * stride + i];
        }
        return Vector128.Create(s0, s1, s2, s3);
    }
}
