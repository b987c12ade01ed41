using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Dot;

/// <summary>
/// Q8_0 weights against several tokens at once with AVX-VNNI (<c>vpdpbusd</c>, which .NET exposes at 256 bits only):
/// the gemm of batched decode (T = B sequences) and prefill. Two weight rows at a time: 8 blocks of each are loaded,
/// biased to unsigned (w ⊕ 0x80) and transposed in registers once so that 32-bit lane L of vector j holds quants
/// 4j..4j+3 of block L, then multiplied against up to <see cref="MaxTokens"/> tokens' activation quants, transposed
/// into the same order once per call (<see cref="Gemm"/>'s 8-block layout); each activation vector is loaded once for
/// both rows. Per token and 8 blocks of a row: 8 <c>vpdpbusd</c>, the 128·Σq_x offset of the bias, a convert and one
/// FMA with d_w·d_x, no horizontal adds. Leftover blocks (nb mod 8) make one zero-padded group
/// (<see cref="PaddedGroup"/>), added as <see cref="DotQ8"/>'s padded last step adds them, so batched decode gives bit
/// for bit single decode. Exact for any int8 quants, −128 included.
/// Needs <see cref="Supported"/>; nothing allocates; thread-safe for disjoint row ranges.
/// </summary>
internal static unsafe class GemmQ8
{
    /// <summary>Tokens one pass over a pair of weight rows serves (two 32-byte accumulators each, on the stack).</summary>
    public const int MaxTokens = 8;

    private const int B8 = Q8_0.BlockBytes;

    /// <summary>Where the kernel can run: AVX2, FMA and AVX-VNNI.</summary>
    public static readonly bool Supported = SimdPaths.V256Supported && AvxVnni.IsSupported;

    /// <summary>
    /// <c>y[t·ldy + r] = dot(W row r, x_t)</c> for T = <paramref name="tokens"/> tokens and r in [r0, r1):
    /// <paramref name="x"/> the prepared rows (<paramref name="xStride"/> apart), <paramref name="xT"/> their 8-block
    /// transposed quants (<paramref name="tStride"/> apart). Rows go in cache blocks of <see cref="Gemm.RowBlock"/>, two
    /// at a time; more than <see cref="MaxTokens"/> tokens are split into near-equal passes. <paramref name="vbmi"/>:
    /// pick the weight scales with byte permutes (<see cref="DotQ8.ScaleBits8"/>).
    /// </summary>
    public static void Rows(byte* w, long rowBytes, int nb, byte* x, long xStride, byte* xT, long tStride, int tokens,
        float* y, long ldy, int r0, int r1, bool vbmi)
    {
        Vector256<float>* acc = stackalloc Vector256<float>[2 * MaxTokens];
        int passes = (tokens + MaxTokens - 1) / MaxTokens;
        for (int rb = r0; rb < r1; rb += Gemm.RowBlock)
        {
            int rbEnd = Math.Min(r1, rb + Gemm.RowBlock);
            for (int p = 0, t = 0; p < passes; p++)
            {
                int n = (tokens - t + passes - p - 1) / (passes - p);
                for (int r = rb; r < rbEnd; r += 2)
                {
                    // An odd last row pairs with itself: the second result is written to the same place, identical.
                    int secondY = r + 1 < rbEnd ? 1 : 0;
                    Rows2(w + r * rowBytes, secondY * rowBytes, nb, x + t * xStride, xStride, xT + t * tStride, tStride, n,
                        acc, y + t * ldy + r, ldy, secondY, vbmi);
                }
                t += n;
            }
        }
    }

    /// <summary>
    /// Quants of 8 blocks at <paramref name="wb"/>, biased to unsigned, as columns: lane L of t_j is 32-bit word j of
    /// block L (32-bit, 64-bit, then 128-bit interleaves).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(byte* wb, out Vector256<byte> t0, out Vector256<byte> t1, out Vector256<byte> t2,
        out Vector256<byte> t3, out Vector256<byte> t4, out Vector256<byte> t5, out Vector256<byte> t6, out Vector256<byte> t7)
    {
        Vector256<byte> bias = Vector256.Create((byte)0x80);
        Vector256<int> u0 = (Vector256.Load(wb + 2) ^ bias).AsInt32(), u1 = (Vector256.Load(wb + 2 + B8) ^ bias).AsInt32();
        Vector256<int> u2 = (Vector256.Load(wb + 2 + 2 * B8) ^ bias).AsInt32(), u3 = (Vector256.Load(wb + 2 + 3 * B8) ^ bias).AsInt32();
        Vector256<int> u4 = (Vector256.Load(wb + 2 + 4 * B8) ^ bias).AsInt32(), u5 = (Vector256.Load(wb + 2 + 5 * B8) ^ bias).AsInt32();
        Vector256<int> u6 = (Vector256.Load(wb + 2 + 6 * B8) ^ bias).AsInt32(), u7 = (Vector256.Load(wb + 2 + 7 * B8) ^ bias).AsInt32();
        Vector256<long> p0 = Avx2.UnpackLow(u0, u1).AsInt64(), p1 = Avx2.UnpackHigh(u0, u1).AsInt64();
        Vector256<long> p2 = Avx2.UnpackLow(u2, u3).AsInt64(), p3 = Avx2.UnpackHigh(u2, u3).AsInt64();
        Vector256<long> p4 = Avx2.UnpackLow(u4, u5).AsInt64(), p5 = Avx2.UnpackHigh(u4, u5).AsInt64();
        Vector256<long> p6 = Avx2.UnpackLow(u6, u7).AsInt64(), p7 = Avx2.UnpackHigh(u6, u7).AsInt64();
        Vector256<long> q0 = Avx2.UnpackLow(p0, p2), q1 = Avx2.UnpackHigh(p0, p2);
        Vector256<long> q2 = Avx2.UnpackLow(p1, p3), q3 = Avx2.UnpackHigh(p1, p3);
        Vector256<long> q4 = Avx2.UnpackLow(p4, p6), q5 = Avx2.UnpackHigh(p4, p6);
        Vector256<long> q6 = Avx2.UnpackLow(p5, p7), q7 = Avx2.UnpackHigh(p5, p7);
        t0 = Avx2.Permute2x128(q0, q4, 0x20).AsByte();
        t4 = Avx2.Permute2x128(q0, q4, 0x31).AsByte();
        t1 = Avx2.Permute2x128(q1, q5, 0x20).AsByte();
        t5 = Avx2.Permute2x128(q1, q5, 0x31).AsByte();
        t2 = Avx2.Permute2x128(q2, q6, 0x20).AsByte();
        t6 = Avx2.Permute2x128(q2, q6, 0x31).AsByte();
        t3 = Avx2.Permute2x128(q3, q7, 0x20).AsByte();
        t7 = Avx2.Permute2x128(q3, q7, 0x31).AsByte();
    }

    /// <summary>Σ (w + 128)·x per block (lane L = block L) of 8 transposed blocks against one token's x0..x7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dots(Vector256<byte> t0, Vector256<byte> t1, Vector256<byte> t2, Vector256<byte> t3,
        Vector256<byte> t4, Vector256<byte> t5, Vector256<byte> t6, Vector256<byte> t7,
        Vector256<sbyte> x0, Vector256<sbyte> x1, Vector256<sbyte> x2, Vector256<sbyte> x3,
        Vector256<sbyte> x4, Vector256<sbyte> x5, Vector256<sbyte> x6, Vector256<sbyte> x7)
    {
        // Two chains of four multiply-adds.
        Vector256<int> e = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(
            AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, t0, x0), t2, x2), t4, x4), t6, x6);
        Vector256<int> o = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(
            AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, t1, x1), t3, x3), t5, x5), t7, x7);
        return e + o;
    }

    /// <summary>
    /// Rows at <paramref name="w"/> and <paramref name="w"/> + <paramref name="second"/> against <paramref name="tokens"/>
    /// (1..<see cref="MaxTokens"/>) tokens: <c>y[t·ldy]</c> and <c>y[t·ldy + secondY]</c>. <paramref name="acc"/>:
    /// scratch for two float vectors per token.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Rows2(byte* w, long second, int nb, byte* x, long xStride, byte* xT, long tStride, int tokens,
        Vector256<float>* acc, float* y, long ldy, int secondY, bool vbmi)
    {
        for (int t = 0; t < 2 * tokens; t++)
        {
            acc[t] = Vector256<float>.Zero;
        }
        long sumsOffset = (long)nb * B8, scalesOffset = sumsOffset + nb * sizeof(int);
        int i = 0;
        for (; i + 8 <= nb; i += 8)
        {
            byte* wa = w + i * B8, wb = wa + second;
            // The next pair of rows, a slice per group (see GemmQ4.Prefetch).
            GemmQ4.Prefetch(w + 2 * second + 2 * i * B8, 2 * 8 * B8);
            Columns(wa, out Vector256<byte> a0, out Vector256<byte> a1, out Vector256<byte> a2, out Vector256<byte> a3,
                out Vector256<byte> a4, out Vector256<byte> a5, out Vector256<byte> a6, out Vector256<byte> a7);
            Columns(wb, out Vector256<byte> b0, out Vector256<byte> b1, out Vector256<byte> b2, out Vector256<byte> b3,
                out Vector256<byte> b4, out Vector256<byte> b5, out Vector256<byte> b6, out Vector256<byte> b7);
            Vector256<float> dwa = Fp16.HalfBitsToSingle(DotQ8.ScaleBits8(wa, B8, vbmi).AsUInt32());
            Vector256<float> dwb = Fp16.HalfBitsToSingle(DotQ8.ScaleBits8(wb, B8, vbmi).AsUInt32());
            for (int t = 0; t < tokens; t++)
            {
                sbyte* xg = (sbyte*)(xT + t * tStride + i * 32);
                Vector256<sbyte> x0 = Vector256.Load(xg), x1 = Vector256.Load(xg + 32);
                Vector256<sbyte> x2 = Vector256.Load(xg + 64), x3 = Vector256.Load(xg + 96);
                Vector256<sbyte> x4 = Vector256.Load(xg + 128), x5 = Vector256.Load(xg + 160);
                Vector256<sbyte> x6 = Vector256.Load(xg + 192), x7 = Vector256.Load(xg + 224);
                byte* xt = x + t * xStride;
                Vector256<int> offset = Vector256.Load((int*)(xt + sumsOffset) + i) << 7;
                Vector256<float> dx = Vector256.Load((float*)(xt + scalesOffset) + i);
                Vector256<int> sa = Dots(a0, a1, a2, a3, a4, a5, a6, a7, x0, x1, x2, x3, x4, x5, x6, x7) - offset;
                Vector256<int> sb = Dots(b0, b1, b2, b3, b4, b5, b6, b7, x0, x1, x2, x3, x4, x5, x6, x7) - offset;
                acc[2 * t] = Fma.MultiplyAdd(dwa * dx, Avx.ConvertToVector256Single(sa), acc[2 * t]);
                acc[2 * t + 1] = Fma.MultiplyAdd(dwb * dx, Avx.ConvertToVector256Single(sb), acc[2 * t + 1]);
            }
        }
        if (i < nb)
        {
            PaddedGroup(w + i * B8, second, nb - i, x + sumsOffset + i * sizeof(int), x + scalesOffset + i * sizeof(float),
                xStride, xT + i * 32, tStride, tokens, acc, vbmi);
        }
        for (int t = 0; t < tokens; t++)
        {
            y[t * ldy + secondY] = Vector256.Sum(acc[2 * t + 1]);
            y[t * ldy] = Vector256.Sum(acc[2 * t]);
        }
    }

    /// <summary>
    /// The last <paramref name="left"/> (1..7) blocks of the two rows at <paramref name="w"/> and <paramref name="w"/> +
    /// <paramref name="second"/>, copied into zeroed windows (a row may end where the mapped weights do), against each
    /// token's zero-padded last transposed group (<paramref name="xg"/>) and its block sums and scales
    /// (<paramref name="sums"/>, <paramref name="scales"/>, <paramref name="xStride"/> apart), loaded under a mask: a
    /// missing block has dot 0 and d = 0, and adds +0 to its lane, as in the gemv's padded last step.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PaddedGroup(byte* w, long second, int left, byte* sums, byte* scales, long xStride, byte* xg,
        long tStride, int tokens, Vector256<float>* acc, bool vbmi)
    {
        byte* windows = stackalloc byte[2 * 8 * B8];
        new Span<byte>(windows, 2 * 8 * B8).Clear();
        new ReadOnlySpan<byte>(w, left * B8).CopyTo(new Span<byte>(windows, left * B8));
        new ReadOnlySpan<byte>(w + second, left * B8).CopyTo(new Span<byte>(windows + 8 * B8, left * B8));
        Vector256<int> live = PaddedTail.Live(left);
        Columns(windows, out Vector256<byte> a0, out Vector256<byte> a1, out Vector256<byte> a2, out Vector256<byte> a3,
            out Vector256<byte> a4, out Vector256<byte> a5, out Vector256<byte> a6, out Vector256<byte> a7);
        Columns(windows + 8 * B8, out Vector256<byte> b0, out Vector256<byte> b1, out Vector256<byte> b2,
            out Vector256<byte> b3, out Vector256<byte> b4, out Vector256<byte> b5, out Vector256<byte> b6,
            out Vector256<byte> b7);
        Vector256<float> dwa = Fp16.HalfBitsToSingle(DotQ8.ScaleBits8(windows, B8, vbmi).AsUInt32());
        Vector256<float> dwb = Fp16.HalfBitsToSingle(DotQ8.ScaleBits8(windows + 8 * B8, B8, vbmi).AsUInt32());
        for (int t = 0; t < tokens; t++)
        {
            sbyte* xt = (sbyte*)(xg + t * tStride);
            Vector256<sbyte> x0 = Vector256.Load(xt), x1 = Vector256.Load(xt + 32);
            Vector256<sbyte> x2 = Vector256.Load(xt + 64), x3 = Vector256.Load(xt + 96);
            Vector256<sbyte> x4 = Vector256.Load(xt + 128), x5 = Vector256.Load(xt + 160);
            Vector256<sbyte> x6 = Vector256.Load(xt + 192), x7 = Vector256.Load(xt + 224);
            Vector256<int> offset = Avx2.MaskLoad((int*)(sums + t * xStride), live) << 7;
            Vector256<float> dx = Avx.MaskLoad((float*)(scales + t * xStride), live.AsSingle());
            Vector256<int> sa = Dots(a0, a1, a2, a3, a4, a5, a6, a7, x0, x1, x2, x3, x4, x5, x6, x7) - offset;
            Vector256<int> sb = Dots(b0, b1, b2, b3, b4, b5, b6, b7, x0, x1, x2, x3, x4, x5, x6, x7) - offset;
            acc[2 * t] = Fma.MultiplyAdd(dwa * dx, Avx.ConvertToVector256Single(sa), acc[2 * t]);
            acc[2 * t + 1] = Fma.MultiplyAdd(dwb * dx, Avx.ConvertToVector256Single(sb), acc[2 * t + 1]);
        }
    }
}
