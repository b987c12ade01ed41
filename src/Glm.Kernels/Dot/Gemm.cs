using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Dot;

/// <summary>
/// Prefill and batched-decode matrix products over a weight-row range: <c>y[t·ldy + r] = dot(W row r, x_t)</c> for T
/// prepared activation rows (stride <see cref="Gemv.PreparedBytes"/>). Weight rows are taken in blocks of
/// <see cref="RowBlock"/> and every block is applied to all T tokens while it sits in cache, so W streams from memory
/// once per call. For T ≥ 2, Q4_0 on the 512-bit path with VBMI runs <see cref="GemmQ4"/> and Q8_0 with AVX-VNNI runs
/// <see cref="GemmQ8"/> (2 rows × up to 8 tokens a pass, bit for bit the gemv's results; 1.24B GLM-4-shaped model, 2
/// threads, 8 sequences: Q4_0 about 52 → 93 tok/s, Q8_0 27 → 51). Otherwise, on the SIMD paths
/// Q8_0, Q4_0, F32, F16 and BF16 use 1×4 micro-kernels (one weight row against four tokens: each weight vector loaded
/// and unpacked once for four multiplies); Q6_K and leftover tokens (T mod 4) go through the gemv dot (a 256-bit Q6_K
/// 1×4 kernel measured slower than the 512-bit gemv dot here). The quantized ones work on 8 blocks at a time with the
/// weights transposed in registers and the activations transposed once per call (<see cref="Transpose"/>), so each
/// block's integer dot builds up in its own lane without horizontal adds (4096×4096 × 32 tokens, one thread: Q8_0
/// 10.4 → 6.7 ms, Q4_0 10.2 → 6.6 ms).
/// Nothing allocates; thread-safe for disjoint row ranges.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>Weight rows per cache block.</summary>
    public const int RowBlock = 16;

    /// <summary>Columns per cache block of the float micro-kernel (4 tokens × 1024 floats = 16 KiB).</summary>
    public const int ColumnBlock = 1024;

    /// <summary>
    /// Bytes of one token's <see cref="Transpose"/>d activation: 256 per group of 8 Q8_0 blocks (the last one padded)
    /// for Q8_0 weights, <see cref="GemmQ4.TransposedBytes"/> (enough for the 8-block layout too) for Q4_0, 0 otherwise.
    /// </summary>
    public static int TransposedBytes(GgmlType type, int cols) => type switch
    {
        GgmlType.Q8_0 => (cols / 32 + 7) / 8 * 256,
        GgmlType.Q4_0 => GemmQ4.TransposedBytes(cols / 32),
        _ => 0,
    };

    /// <summary>True where <see cref="RowsCore"/> reads <see cref="Transpose"/>d activations for this product.</summary>
    public static bool Transposes(GgmlType type, int tokens, SimdPath path) =>
        UsesGemmQ4(type, tokens, path) || UsesGemmQ8(type, tokens, path)
        || (path != SimdPath.Scalar && tokens >= 4 && (type == GgmlType.Q8_0 || type == GgmlType.Q4_0));

    /// <summary>Q4_0 weights, two or more tokens, on the 512-bit path with VBMI: <see cref="GemmQ4"/>.</summary>
    private static bool UsesGemmQ4(GgmlType type, int tokens, SimdPath path) =>
        type == GgmlType.Q4_0 && tokens >= 2 && path == SimdPath.V512 && GemmQ4.Supported;

    /// <summary>Q8_0 weights, two or more tokens, on a SIMD path with AVX-VNNI: <see cref="GemmQ8"/>.</summary>
    private static bool UsesGemmQ8(GgmlType type, int tokens, SimdPath path) =>
        type == GgmlType.Q8_0 && tokens >= 2 && path != SimdPath.Scalar && GemmQ8.Supported;

    /// <summary>
    /// Writes the transposed activation quants <see cref="RowsCore"/> reads for <paramref name="tokens"/> tokens on
    /// <paramref name="path"/>: <see cref="GemmQ4.Transpose"/> where <see cref="GemmQ4"/> runs, else
    /// <see cref="Transpose8"/>.
    /// </summary>
    public static void Transpose(GgmlType weightType, byte* prepared, int nb, byte* dst, int tokens, SimdPath path)
    {
        if (UsesGemmQ4(weightType, tokens, path))
        {
            GemmQ4.Transpose(prepared, nb, dst);
        }
        else
        {
            Transpose8(weightType, prepared, nb, dst);
        }
    }

    /// <summary>
    /// Copies the quants of a prepared Q8_0 row of <paramref name="nb"/> blocks, 8 blocks at a time, so that 32-bit word
    /// j (values 4j..4j+3) of the block in lane L lands at word 8j + L: the 1×4 kernels then multiply word j of 8 blocks
    /// in one instruction and accumulate each block's dot in its own lane, with no horizontal reduction. For Q8_0
    /// weights lane L holds block L; for Q4_0 block <see cref="Q4Block"/>(L), the order their cheaper in-lane unpacking
    /// yields. Leftover blocks (nb mod 8) make a last group whose missing lanes are zero (<see cref="GemmQ8"/> reads it;
    /// the 1×4 kernels read whole groups only).
    /// </summary>
    private static void Transpose8(GgmlType weightType, byte* prepared, int nb, byte* dst)
    {
        bool q4 = weightType == GgmlType.Q4_0;
        for (int g = 0; g < nb; g += 8)
        {
            int* d = (int*)(dst + g * 32);
            for (int lane = 0; lane < 8; lane++)
            {
                int block = g + (q4 ? Q4Block(lane) : lane);
                byte* q = prepared + block * Q8_0.BlockBytes + 2;
                for (int j = 0; j < 8; j++)
                {
                    d[j * 8 + lane] = block < nb ? *(int*)(q + 4 * j) : 0;
                }
            }
        }
    }

    /// <summary>The block (of 8) whose dot the Q4_0 micro-kernel accumulates in lane L: 0, 2, 4, 6 low, 1, 3, 5, 7 high.</summary>
    private static int Q4Block(int lane) => 2 * (lane % 4) + lane / 4;

    /// <summary>
    /// <paramref name="xT"/>: the <see cref="Transpose"/>d activation rows, <see cref="TransposedBytes"/> apart (read only
    /// where <see cref="Transposes"/>).
    /// </summary>
    public static void RowsCore(GgmlType type, byte* w, int cols, byte* x, byte* xT, int tokens, float* y, int ldy,
        int r0, int r1, SimdPath path)
    {
        long tBytes = TransposedBytes(type, cols);
        long rowBytes = GgmlTypes.RowBytes(type, cols);
        long xBytes = Gemv.PreparedBytes(type, cols);
        if (UsesGemmQ4(type, tokens, path))
        {
            GemmQ4.Rows(w, rowBytes, cols / 32, xT, tBytes, tokens, y, ldy, r0, r1);
            return;
        }
        if (UsesGemmQ8(type, tokens, path))
        {
            GemmQ8.Rows(w, rowBytes, cols / 32, x, xBytes, xT, tBytes, tokens, y, ldy, r0, r1, path == SimdPath.V512 && DotQ8.Vbmi);
            return;
        }
        bool quant4 = type == GgmlType.Q8_0 || type == GgmlType.Q4_0;
        bool float4 = type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16;
        bool micro = path != SimdPath.Scalar && (quant4 || float4);
        bool half = type != GgmlType.F32, bf16 = type == GgmlType.BF16;
        bool vbmi = path == SimdPath.V512 && DotQ8.Vbmi;
        for (int rb = r0; rb < r1; rb += RowBlock)
        {
            int rbEnd = Math.Min(r1, rb + RowBlock);
            int t = 0;
            if (micro)
            {
                for (; t + 4 <= tokens; t += 4)
                {
                    byte* xt = x + t * xBytes;
                    byte* xtT = xT + t * tBytes;
                    if (float4)
                    {
                        FloatTile(w, rowBytes, half, bf16, (float*)xt, cols, y, ldy, t, rb, rbEnd, path);
                        continue;
                    }
                    for (int r = rb; r < rbEnd; r++)
                    {
                        Vector128<float> d = type == GgmlType.Q8_0
                            ? Dot4Q8(w + r * rowBytes, xt, xBytes, xtT, tBytes, cols / 32, vbmi)
                            : Dot4Q4(w + r * rowBytes, xt, xBytes, xtT, tBytes, cols / 32, vbmi);
                        y[(long)t * ldy + r] = d[0];
                        y[(long)(t + 1) * ldy + r] = d[1];
                        y[(long)(t + 2) * ldy + r] = d[2];
                        y[(long)(t + 3) * ldy + r] = d[3];
                    }
                }
            }
            for (; t < tokens; t++)
            {
                // The tokens left over from the 4-token micro-kernels (all of them for T < 4): the gemv row loop.
                Gemv.RowsCore(type, w, cols, x + t * xBytes, y + (long)t * ldy, rb, rbEnd, path);
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

    /// <summary><see cref="Dot4"/> for Q8_0 weights.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Dot4Q8(byte* w, byte* x, long stride, byte* xT, long tStride, int nb, bool vbmi) =>
        Dot4(w, x, stride, xT, tStride, nb, q4: false, vbmi);

    /// <summary><see cref="Dot4"/> for Q4_0 weights.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Dot4Q4(byte* w, byte* x, long stride, byte* xT, long tStride, int nb, bool vbmi) =>
        Dot4(w, x, stride, xT, tStride, nb, q4: true, vbmi);

    /// <summary>
    /// One Q8_0 or Q4_0 weight row against four prepared activation rows <paramref name="stride"/> bytes apart (their
    /// transposed quants <paramref name="tStride"/> apart in <paramref name="xT"/>). Eight weight blocks are loaded
    /// (and unpacked, or biased to unsigned for <c>vpdpbusd</c>) and transposed in registers once, then reused for the
    /// four tokens: eight multiply-adds give the eight block dots in eight lanes; sums and scales are batched as in
    /// the gemv kernels. Inlined into one caller per weight type, so <paramref name="q4"/> is a constant there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Dot4(byte* w, byte* x, long stride, byte* xT, long tStride, int nb, bool q4, bool vbmi)
    {
        int bw = q4 ? Q4_0.BlockBytes : Q8_0.BlockBytes;
        const int bx = Q8_0.BlockBytes;
        long sumsOffset = (long)nb * bx;
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 8 <= nb; i += 8)
        {
            byte* wb = w + i * bw;
            Vector256<sbyte> t0, t1, t2, t3, t4, t5, t6, t7;
            if (q4)
            {
                // Two blocks per register, low nibbles (words 0..3) and high nibbles (words 4..7) apart, then a 4×4
                // transpose inside each 128-bit half: lane L of t_j is word j of block Q4Block(L).
                Vector256<int> l01 = Lo(wb, 0), h01 = Hi(wb, 0), l23 = Lo(wb, 2), h23 = Hi(wb, 2);
                Vector256<int> l45 = Lo(wb, 4), h45 = Hi(wb, 4), l67 = Lo(wb, 6), h67 = Hi(wb, 6);
                (t0, t1, t2, t3) = Transpose4(l01, l23, l45, l67);
                (t4, t5, t6, t7) = Transpose4(h01, h23, h45, h67);
            }
            else
            {
                // Rows w_k (block k, words 0..7) to columns t_j (word j of blocks 0..7): 32-bit, 64-bit, then 128-bit interleaves.
                Vector256<int> u0 = LoadQ8(wb, 0), u1 = LoadQ8(wb, 1), u2 = LoadQ8(wb, 2), u3 = LoadQ8(wb, 3);
                Vector256<int> u4 = LoadQ8(wb, 4), u5 = LoadQ8(wb, 5), u6 = LoadQ8(wb, 6), u7 = LoadQ8(wb, 7);
                Vector256<long> p0 = Avx2.UnpackLow(u0, u1).AsInt64(), p1 = Avx2.UnpackHigh(u0, u1).AsInt64();
                Vector256<long> p2 = Avx2.UnpackLow(u2, u3).AsInt64(), p3 = Avx2.UnpackHigh(u2, u3).AsInt64();
                Vector256<long> p4 = Avx2.UnpackLow(u4, u5).AsInt64(), p5 = Avx2.UnpackHigh(u4, u5).AsInt64();
                Vector256<long> p6 = Avx2.UnpackLow(u6, u7).AsInt64(), p7 = Avx2.UnpackHigh(u6, u7).AsInt64();
                Vector256<long> q0 = Avx2.UnpackLow(p0, p2), q1 = Avx2.UnpackHigh(p0, p2);
                Vector256<long> q2 = Avx2.UnpackLow(p1, p3), q3 = Avx2.UnpackHigh(p1, p3);
                Vector256<long> q4w = Avx2.UnpackLow(p4, p6), q5 = Avx2.UnpackHigh(p4, p6);
                Vector256<long> q6 = Avx2.UnpackLow(p5, p7), q7 = Avx2.UnpackHigh(p5, p7);
                t0 = Avx2.Permute2x128(q0, q4w, 0x20).AsSByte();
                t4 = Avx2.Permute2x128(q0, q4w, 0x31).AsSByte();
                t1 = Avx2.Permute2x128(q1, q5, 0x20).AsSByte();
                t5 = Avx2.Permute2x128(q1, q5, 0x31).AsSByte();
                t2 = Avx2.Permute2x128(q2, q6, 0x20).AsSByte();
                t6 = Avx2.Permute2x128(q2, q6, 0x31).AsSByte();
                t3 = Avx2.Permute2x128(q3, q7, 0x20).AsSByte();
                t7 = Avx2.Permute2x128(q3, q7, 0x31).AsSByte();
            }
            Vector256<float> dw = Fp16.HalfBitsToSingle(DotQ8.ScaleBits8(wb, bw, vbmi).AsUInt32());
            byte* xg = xT + i * 32;
            a0 = Token(a0, x + 0 * stride, xg + 0 * tStride, sumsOffset, i, dw, t0, t1, t2, t3, t4, t5, t6, t7, q4);
            a1 = Token(a1, x + 1 * stride, xg + 1 * tStride, sumsOffset, i, dw, t0, t1, t2, t3, t4, t5, t6, t7, q4);
            a2 = Token(a2, x + 2 * stride, xg + 2 * tStride, sumsOffset, i, dw, t0, t1, t2, t3, t4, t5, t6, t7, q4);
            a3 = Token(a3, x + 3 * stride, xg + 3 * tStride, sumsOffset, i, dw, t0, t1, t2, t3, t4, t5, t6, t7, q4);
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

    /// <summary>
    /// Q8_0 weight block k, biased to unsigned (w ⊕ 0x80) for <c>vpdpbusd</c> where <see cref="DotQ8.PreferVnni256"/>,
    /// else the plain signed quants.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> LoadQ8(byte* wb, int k) =>
        DotQ8.PreferVnni256
            ? (DotQ8.LoadW(wb, k) ^ Vector256.Create(unchecked((sbyte)0x80))).AsInt32()
            : DotQ8.LoadW(wb, k).AsInt32();

    /// <summary>Low nibbles (values 0..15) of Q4_0 blocks k and k + 1, one block per 128-bit half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Lo(byte* wb, int k) =>
        (Pair(wb, k) & Vector256.Create((byte)0x0f)).AsInt32();

    /// <summary>High nibbles (values 16..31) of Q4_0 blocks k and k + 1, one block per 128-bit half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Hi(byte* wb, int k) =>
        ((Pair(wb, k).AsUInt16() >> 4).AsByte() & Vector256.Create((byte)0x0f)).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Pair(byte* wb, int k) =>
        Vector256.Create(Vector128.Load(wb + k * Q4_0.BlockBytes + 2), Vector128.Load(wb + (k + 1) * Q4_0.BlockBytes + 2));

    /// <summary>4×4 transpose of 32-bit words inside each 128-bit half: word j of row r goes to word r of result j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<sbyte>, Vector256<sbyte>, Vector256<sbyte>, Vector256<sbyte>) Transpose4(
        Vector256<int> r0, Vector256<int> r1, Vector256<int> r2, Vector256<int> r3)
    {
        Vector256<long> a0 = Avx2.UnpackLow(r0, r1).AsInt64(), a1 = Avx2.UnpackHigh(r0, r1).AsInt64();
        Vector256<long> a2 = Avx2.UnpackLow(r2, r3).AsInt64(), a3 = Avx2.UnpackHigh(r2, r3).AsInt64();
        return (Avx2.UnpackLow(a0, a2).AsSByte(), Avx2.UnpackHigh(a0, a2).AsSByte(),
                Avx2.UnpackLow(a1, a3).AsSByte(), Avx2.UnpackHigh(a1, a3).AsSByte());
    }

    /// <summary>
    /// <paramref name="acc"/> plus the 4-byte dots of a transposed weight vector (<see cref="LoadQ8"/>, <see cref="Lo"/>,
    /// <see cref="Hi"/>) and activation quants; Q8_0 sums carry the offset of <see cref="DotQ8.Q8Block"/> (the bias of
    /// <see cref="LoadQ8"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MulAdd(Vector256<int> acc, Vector256<sbyte> w, byte* x, bool q4)
    {
        Vector256<sbyte> xv = Vector256.Load((sbyte*)x);
        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(acc, w.AsByte(), xv);
        }
        return acc + (q4 ? DotQ8.MulSumUAvx2Only(w.AsByte(), xv) : DotQ8.MulSumAvx2Only(w, xv));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Token(Vector256<float> acc, byte* xt, byte* xg, long sumsOffset, int i,
        Vector256<float> dw, Vector256<sbyte> t0, Vector256<sbyte> t1, Vector256<sbyte> t2, Vector256<sbyte> t3,
        Vector256<sbyte> t4, Vector256<sbyte> t5, Vector256<sbyte> t6, Vector256<sbyte> t7, bool q4)
    {
        // Two chains of four multiply-adds; lane k ends as block k's dot.
        Vector256<int> e = MulAdd(MulAdd(MulAdd(MulAdd(Vector256<int>.Zero, t0, xg, q4), t2, xg + 64, q4), t4, xg + 128, q4), t6, xg + 192, q4);
        Vector256<int> o = MulAdd(MulAdd(MulAdd(MulAdd(Vector256<int>.Zero, t1, xg + 32, q4), t3, xg + 96, q4), t5, xg + 160, q4), t7, xg + 224, q4);
        Vector256<int> s = e + o;
        if (q4)
        {
            // Lanes back to block order (see Q4Block).
            s = Avx2.PermuteVar8x32(s, Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7));
        }
        int* sums = (int*)(xt + sumsOffset);
        s -= q4 ? Vector256.Load(sums + i) << 3 : DotQ8.Q8Offset(sums + i);
        int nb = (int)(sumsOffset / Q8_0.BlockBytes);
        Vector256<float> dx = Vector256.Load((float*)(sums + nb) + i);
        return Fma.MultiplyAdd(dw * dx, Avx.ConvertToVector256Single(s), acc);
    }
}
