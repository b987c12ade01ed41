using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Dot;

/// <summary>
/// Prefill matrix products over a weight-row range: <c>y[t·ldy + r] = dot(W row r, x_t)</c> for T prepared activation
/// rows (stride <see cref="Gemv.PreparedBytes"/>). Weight rows are taken in blocks of <see cref="RowBlock"/> and every
/// block is applied to all T tokens while it sits in cache, so W streams from memory once per call. On the SIMD paths
/// Q8_0, Q4_0, F32, F16 and BF16 use 1×4 micro-kernels (one weight row against four tokens: each weight vector loaded
/// and unpacked once for four multiplies); Q6_K and leftover tokens (T mod 4) go through the gemv dot (a 256-bit Q6_K
/// 1×4 kernel measured slower than the 512-bit gemv dot here).
/// Nothing allocates; thread-safe for disjoint row ranges.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>Weight rows per cache block.</summary>
    public const int RowBlock = 16;

    /// <summary>Columns per cache block of the float micro-kernel (4 tokens × 1024 floats = 16 KiB).</summary>
    public const int ColumnBlock = 1024;

    public static void RowsCore(GgmlType type, byte* w, int cols, byte* x, int tokens, float* y, int ldy,
        int r0, int r1, SimdPath path)
    {
        long rowBytes = GgmlTypes.RowBytes(type, cols);
        long xBytes = Gemv.PreparedBytes(type, cols);
        bool quant4 = type == GgmlType.Q8_0 || type == GgmlType.Q4_0;
        bool float4 = type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16;
        bool micro = path != SimdPath.Scalar && (quant4 || float4);
        bool half = type != GgmlType.F32, bf16 = type == GgmlType.BF16;
        for (int rb = r0; rb < r1; rb += RowBlock)
        {
            int rbEnd = Math.Min(r1, rb + RowBlock);
            int t = 0;
            if (micro)
            {
                for (; t + 4 <= tokens; t += 4)
                {
                    byte* xt = x + t * xBytes;
                    if (float4)
                    {
                        FloatTile(w, rowBytes, half, bf16, (float*)xt, cols, y, ldy, t, rb, rbEnd, path);
                        continue;
                    }
                    for (int r = rb; r < rbEnd; r++)
                    {
                        Vector128<float> d = type == GgmlType.Q8_0
                            ? Dot4(w + r * rowBytes, xt, xBytes, cols / 32, q4: false)
                            : Dot4(w + r * rowBytes, xt, xBytes, cols / 32, q4: true);
                        y[(long)t * ldy + r] = d[0];
                        y[(long)(t + 1) * ldy + r] = d[1];
                        y[(long)(t + 2) * ldy + r] = d[2];
                        y[(long)(t + 3) * ldy + r] = d[3];
                    }
                }
            }
            for (; t < tokens; t++)
            {
                byte* xt = x + t * xBytes;
                for (int r = rb; r < rbEnd; r++)
                {
                    y[(long)t * ldy + r] = Gemv.DotRow(type, w + r * rowBytes, cols, xt, path);
                }
            }
        }
    }

    /// <summary>
    /// Float weights, four tokens, rows [rb, rbEnd): the columns are taken in chunks of <see cref="ColumnBlock"/>, packed
    /// side by side on the stack (16 KiB), so they stay in L1 while every weight row of the block passes over them.
    /// </summary>
    private static void FloatTile(byte* w, long rowBytes, bool half, bool bf16, float* xt, int cols, float* y, int ldy,
        int t, int rb, int rbEnd, SimdPath path)
    {
        int elemBytes = half ? 2 : 4;
        // The four chunks are copied next to each other: rows of power-of-two length would otherwise put all four (and
        // the weight chunk) in the same L1 sets.
        float* packed = stackalloc float[4 * ColumnBlock];
        for (int k0 = 0; k0 < cols; k0 += ColumnBlock)
        {
            int kn = Math.Min(ColumnBlock, cols - k0);
            for (int j = 0; j < 4; j++)
            {
                new ReadOnlySpan<float>(xt + (long)j * cols + k0, kn).CopyTo(new Span<float>(packed + j * kn, kn));
            }
            for (int r = rb; r < rbEnd; r++)
            {
                Vector128<float> d = DotFloat.Dot4(w + r * rowBytes + (long)k0 * elemBytes, half, bf16, packed, kn, kn, path);
                float* yr = y + (long)t * ldy + r;
                if (k0 == 0)
                {
                    yr[0] = d[0];
                    yr[ldy] = d[1];
                    yr[2 * ldy] = d[2];
                    yr[3 * ldy] = d[3];
                }
                else
                {
                    yr[0] += d[0];
                    yr[ldy] += d[1];
                    yr[2 * ldy] += d[2];
                    yr[3 * ldy] += d[3];
                }
            }
        }
    }

    /// <summary>
    /// One Q8_0 or Q4_0 weight row against four prepared activation rows <paramref name="stride"/> bytes apart. Eight
    /// weight blocks are loaded (and unpacked) once and reused for the four tokens; sums and scales are batched as in
    /// the gemv kernels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Dot4(byte* w, byte* x, long stride, int nb, bool q4)
    {
        int bw = q4 ? Q4_0.BlockBytes : Q8_0.BlockBytes;
        const int bx = Q8_0.BlockBytes;
        long sumsOffset = (long)nb * bx;
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 8 <= nb; i += 8)
        {
            byte* wb = w + i * bw;
            Vector256<sbyte> w0 = Load(wb, 0, q4), w1 = Load(wb, 1, q4), w2 = Load(wb, 2, q4), w3 = Load(wb, 3, q4);
            Vector256<sbyte> w4 = Load(wb, 4, q4), w5 = Load(wb, 5, q4), w6 = Load(wb, 6, q4), w7 = Load(wb, 7, q4);
            Vector256<int> offsets = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * bw;
            Vector256<float> dw = Fp16.HalfBitsToSingle((Avx2.GatherVector256((int*)wb, offsets, 1) & Vector256.Create(0xffff)).AsUInt32());
            a0 = Token(a0, x + 0 * stride, sumsOffset, i, dw, w0, w1, w2, w3, w4, w5, w6, w7, q4);
            a1 = Token(a1, x + 1 * stride, sumsOffset, i, dw, w0, w1, w2, w3, w4, w5, w6, w7, q4);
            a2 = Token(a2, x + 2 * stride, sumsOffset, i, dw, w0, w1, w2, w3, w4, w5, w6, w7, q4);
            a3 = Token(a3, x + 3 * stride, sumsOffset, i, dw, w0, w1, w2, w3, w4, w5, w6, w7, q4);
        }
        Vector128<float> r = Vector128.Create(Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        if (i < nb)
        {
            for (int t = 0; t < 4; t++)
            {
                byte* xt = x + t * stride;
                float tail = q4
                    ? DotQ8.Q4_0Tail(w + i * bw, xt + i * bx, nb - i, (int*)(xt + sumsOffset) + i)
                    : DotQ8.Q8_0Dot(w + i * bw, xt + i * bx, nb - i, SimdPath.Scalar);
                r = r.WithElement(t, r.GetElement(t) + tail);
            }
        }
        return r;
    }

    /// <summary>Weight block k as signed bytes (Q8_0) or unsigned nibbles (Q4_0, reinterpreted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Load(byte* wb, int k, bool q4) =>
        q4 ? DotQ8.Nibbles(wb, k).AsSByte() : DotQ8.LoadW(wb, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Mul(Vector256<sbyte> w, Vector256<sbyte> x, bool q4) =>
        q4 ? DotQ8.MulSumU(w.AsByte(), x) : DotQ8.Q8Block(w, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Token(Vector256<float> acc, byte* xt, long sumsOffset, int i, Vector256<float> dw,
        Vector256<sbyte> w0, Vector256<sbyte> w1, Vector256<sbyte> w2, Vector256<sbyte> w3,
        Vector256<sbyte> w4, Vector256<sbyte> w5, Vector256<sbyte> w6, Vector256<sbyte> w7, bool q4)
    {
        byte* xb = xt + i * Q8_0.BlockBytes;
        Vector256<int> s = DotQ8.Reduce8(
            Mul(w0, DotQ8.LoadX(xb, 0), q4), Mul(w1, DotQ8.LoadX(xb, 1), q4),
            Mul(w2, DotQ8.LoadX(xb, 2), q4), Mul(w3, DotQ8.LoadX(xb, 3), q4),
            Mul(w4, DotQ8.LoadX(xb, 4), q4), Mul(w5, DotQ8.LoadX(xb, 5), q4),
            Mul(w6, DotQ8.LoadX(xb, 6), q4), Mul(w7, DotQ8.LoadX(xb, 7), q4));
        int* sums = (int*)(xt + sumsOffset);
        s -= q4 ? Vector256.Load(sums + i) << 3 : DotQ8.Q8Offset(sums + i);
        int nb = (int)(sumsOffset / Q8_0.BlockBytes);
        Vector256<float> dx = Vector256.Load((float*)(sums + nb) + i);
        return Fma.MultiplyAdd(dw * dx, Avx.ConvertToVector256Single(s), acc);
    }
}
