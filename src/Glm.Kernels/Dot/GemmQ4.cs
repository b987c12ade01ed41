using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Dot;

/// <summary>
/// Q4_0 weights against several tokens at once on 512 bits with AVX-512 VBMI: the gemm of batched decode (T = B
/// sequences) and prefill. Two weight rows at a time, 16 blocks of each (288 bytes, six loads, read in place) are
/// unpacked once into registers and multiplied against up to <see cref="MaxTokens"/> tokens, each activation vector
/// loaded once for both rows (1.24B model, 8 sequences, one thread, kernel alone: about 65 → 150 GMAC/s in cache). The
/// unpacking is <see cref="DotQ4"/>'s byte permute (4 blocks per register) followed by a 4×4 transpose of 128-bit
/// lanes, so that 32-bit lane L of register j holds quant bytes 4j..4j+3 of block L: low nibbles (elements 4j..4j+3)
/// and high nibbles (16 + 4j..) then meet the activation quants <see cref="Transpose"/>d into the same order once per
/// call, and every lane builds up one block's dot with no horizontal adds or folds per token. Per token and 16 blocks
/// that is 8 <c>vpmaddubsw</c>, 7 int16 adds (each product ≤ 2·15·128, so 8 of them stay below 2^15), one
/// <c>vpmaddwd</c>, the −8·Σq_x offset, a convert and two 256-bit FMAs with d_w·d_x into lanes k = block mod 8, in the
/// order <see cref="DotQ4.Dot(byte*, byte*, int)"/> adds them. The leftover blocks (nb mod 16) make one more group,
/// copied into a zeroed window and met by zero-padded activations, so their missing blocks add exactly +0, as in
/// <see cref="DotQ4"/>'s padded last step: a batched decode step gives bit for bit the logits of single decode, and so
/// the same sampled tokens. Needs <see cref="Supported"/>; nothing allocates; thread-safe for disjoint row ranges.
/// </summary>
internal static unsafe class GemmQ4
{
    /// <summary>Tokens one pass over a weight row serves (their accumulators live on the stack, 32 bytes a row each).</summary>
    public const int MaxTokens = 8;

    /// <summary>Blocks unpacked together: 16 int32 lanes, one block each.</summary>
    public const int GroupBlocks = 16;

    private const int B4 = Q4_0.BlockBytes;
    private const int B8 = Q8_0.BlockBytes;

    /// <summary>Weight bytes of one row's group of 16 blocks.</summary>
    private const int GroupBytes = GroupBlocks * B4;

    /// <summary>
    /// Bytes of one token's <see cref="Transpose"/>d group: 512 of quants, then at <see cref="OffsetsAt"/> the 16
    /// blocks' offsets 8·Σq_x (int32), then at <see cref="ScalesAt"/> their scales d_x (float).
    /// </summary>
    private const int GroupStride = 640;

    private const int OffsetsAt = 512, ScalesAt = 576;

    /// <summary>Where the kernel can run (the same instructions as <see cref="DotQ4"/>).</summary>
    public static readonly bool Supported = DotQ4.Supported;

    /// <summary>
    /// Copies the quants of a prepared Q8_0 row of <paramref name="nb"/> blocks, 16 blocks at a time, so that 32-bit
    /// word j (values 4j..4j+3) of block L of a group lands at word 16j + L, followed by the group's offsets 8·Σq_x and
    /// scales d_x (<see cref="GroupStride"/> bytes a group). Leftover blocks (nb mod 16) make a last group whose
    /// missing lanes are zero in all three: <see cref="TransposedBytes"/> per token.
    /// </summary>
    public static void Transpose(byte* prepared, int nb, byte* dst)
    {
        int* sums = (int*)(prepared + (long)nb * B8);
        float* dx = (float*)(sums + nb);
        for (int g = 0; g < nb; g += GroupBlocks)
        {
            byte* group = dst + g / GroupBlocks * GroupStride;
            int* d = (int*)group, offsets = (int*)(group + OffsetsAt);
            float* scales = (float*)(group + ScalesAt);
            for (int lane = 0; lane < GroupBlocks; lane++)
            {
                bool live = g + lane < nb;
                int* q = (int*)(prepared + (g + lane) * B8 + 2);
                for (int j = 0; j < 8; j++)
                {
                    d[j * GroupBlocks + lane] = live ? q[j] : 0;
                }
                offsets[lane] = live ? sums[g + lane] << 3 : 0;
                scales[lane] = live ? dx[g + lane] : 0f;
            }
        }
    }

    /// <summary>
    /// Bytes of one token's <see cref="Transpose"/>d activation: 640 per group of 16 blocks, the last one padded.
    /// </summary>
    public static int TransposedBytes(int nb) => (nb + GroupBlocks - 1) / GroupBlocks * GroupStride;

    /// <summary>A permute index: byte p is f(p).</summary>
    private static Vector512<byte> Index(Func<int, int> f)
    {
        Vector512<byte> v = Vector512<byte>.Zero;
        for (int p = 0; p < 64; p++)
        {
            v = v.WithElement(p, (byte)f(p));
        }
        return v;
    }

    /// <summary>
    /// Offset, from the start of 4 blocks, of the weight quant byte that byte p of a permuted vector holds: 128-bit lane
    /// j = p/16 takes quant bytes 4j..4j+3 of the 4 blocks, block (p mod 16)/4 in 32-bit lane p/4.
    /// </summary>
    private static int WeightByte(int p) => 18 * (p % 16 / 4) + 2 + 4 * (p / 16) + p % 4;

    /// <summary>Blocks 0..3 of 8 from the 128-byte window w[0..127].</summary>
    private static readonly Vector512<byte> IdxA = Index(WeightByte);

    /// <summary>Blocks 4..7 of 8 (bytes a = 74..143) from w[64..127] (index a − 64) and w[80..143] (a − 16).</summary>
    private static readonly Vector512<byte> IdxB = Index(p => 72 + WeightByte(p) is int a && a < 128 ? a - 64 : a - 16);

    /// <summary>The fp16 scale of block k of 8 in the high 16 bits of 32-bit lane k (lanes 0..7), from w[0..127].</summary>
    private static readonly Vector512<byte> IdxScales = Index(p => p < 32 && p % 4 >= 2 ? 18 * (p / 4) + p % 4 - 2 : 0);

    /// <summary>
    /// Bytes of transposed activations (with their offsets and scales: 640 per token and group) one column chunk may
    /// span, so that they stay in L1 while every row of a row block passes over them (2048×6848, 8 tokens, one thread,
    /// 20 KiB, 4 groups a chunk: 1.5 → 1.3 ms; 48 KiB: 1.4 ms).
    /// </summary>
    public const int ChunkBytes = 20 * 1024;

    /// <summary>
    /// <c>y[t·ldy + r] = dot(W row r, x_t)</c> for T = <paramref name="tokens"/> tokens and r in [r0, r1), from the
    /// tokens' <see cref="Transpose"/>d activations (<paramref name="tStride"/> apart). Rows go in cache blocks of
    /// <see cref="Gemm.RowBlock"/>, two at a time (each activation vector loaded once for both), over column chunks of
    /// at most <see cref="ChunkBytes"/> of activations (for a 2048×6848 matrix the 8 tokens' quants outgrow L1). Each
    /// row's lane sums carry over from chunk to chunk and on to the leftover group, so its blocks are still added in
    /// <see cref="DotQ4.Dot(byte*, byte*, int)"/>'s order. More than <see cref="MaxTokens"/> tokens are split into
    /// near-equal passes.
    /// </summary>
    public static void Rows(byte* w, long rowBytes, int nb, byte* xT, long tStride, int tokens, float* y, long ldy,
        int r0, int r1)
    {
        Vector256<float>* acc = stackalloc Vector256<float>[Gemm.RowBlock * MaxTokens];
        // Two rows' leftover blocks, each in a window of 16 whose missing blocks stay zero.
        byte* windows = stackalloc byte[2 * GroupBytes];
        new Span<byte>(windows, 2 * GroupBytes).Clear();
        int passes = (tokens + MaxTokens - 1) / MaxTokens;
        int full = nb / GroupBlocks * GroupBlocks, left = nb - full;
        for (int rb = r0; rb < r1; rb += Gemm.RowBlock)
        {
            int rbEnd = Math.Min(r1, rb + Gemm.RowBlock);
            for (int p = 0, t = 0; p < passes; p++)
            {
                int n = (tokens - t + passes - p - 1) / (passes - p);
                byte* xtp = xT + t * tStride;
                new Span<Vector256<float>>(acc, (rbEnd - rb) * n).Clear();
                int chunk = ChunkBlocks(n, full);
                for (int c0 = 0; c0 < full; c0 += chunk)
                {
                    int c1 = Math.Min(full, c0 + chunk), groups = (c1 - c0) / GroupBlocks;
                    byte* xg = xtp + c0 / GroupBlocks * GroupStride;
                    int r = rb;
                    for (; r + 2 <= rbEnd; r += 2)
                    {
                        // What comes next: the following rows of this chunk, else the block's first rows of the next
                        // chunk, else the next block's.
                        byte* next = r + 2 < rbEnd ? w + (r + 2) * rowBytes + c0 * B4
                            : c1 < full ? w + rb * rowBytes + c1 * B4 : w + rbEnd * rowBytes;
                        if (c1 == full && left > 0)
                        {
                            // The leftover blocks, asked for while the last chunk runs.
                            Prefetch(w + r * rowBytes + full * B4, left * B4 + 63);
                            Prefetch(w + (r + 1) * rowBytes + full * B4, left * B4 + 63);
                        }
                        Rows2(w + r * rowBytes + c0 * B4, rowBytes, groups, xg, tStride, n, acc + (r - rb) * n, next);
                    }
                    if (r < rbEnd)
                    {
                        Row(w + r * rowBytes + c0 * B4, groups, xg, tStride, n, acc + (r - rb) * n);
                    }
                }
                if (left > 0)
                {
                    Leftover(w, rowBytes, full, left, windows, xtp + full / GroupBlocks * GroupStride, tStride, n, acc,
                        rb, rbEnd);
                }
                for (int r = rb; r < rbEnd; r++)
                {
                    for (int k = 0; k < n; k++)
                    {
                        y[(t + k) * ldy + r] = Vector256.Sum(acc[(r - rb) * n + k]);
                    }
                }
                t += n;
            }
        }
    }

    /// <summary>
    /// The leftover group of rows [<paramref name="rb"/>, <paramref name="rbEnd"/>): each row's last
    /// <paramref name="left"/> blocks (from block <paramref name="full"/>) copied into a zeroed window (the last row may
    /// end where the mapped weights do), then multiplied like any group: a missing block has d_w = d_x = 0 and dot 0.
    /// </summary>
    private static void Leftover(byte* w, long rowBytes, int full, int left, byte* windows, byte* xg, long tStride,
        int tokens, Vector256<float>* acc, int rb, int rbEnd)
    {
        int bytes = left * B4, r = rb;
        for (; r + 2 <= rbEnd; r += 2)
        {
            new ReadOnlySpan<byte>(w + r * rowBytes + full * B4, bytes).CopyTo(new Span<byte>(windows, bytes));
            new ReadOnlySpan<byte>(w + (r + 1) * rowBytes + full * B4, bytes)
                .CopyTo(new Span<byte>(windows + GroupBytes, bytes));
            // Nothing to prefetch: the next rows' leftovers were asked for during the last chunk.
            Rows2(windows, GroupBytes, 1, xg, tStride, tokens, acc + (r - rb) * tokens, windows);
        }
        if (r < rbEnd)
        {
            new ReadOnlySpan<byte>(w + r * rowBytes + full * B4, bytes).CopyTo(new Span<byte>(windows, bytes));
            Row(windows, 1, xg, tStride, tokens, acc + (r - rb) * tokens);
        }
    }

    /// <summary>Blocks per column chunk (a multiple of 16) for <paramref name="tokens"/> tokens: near-equal chunks.</summary>
    private static int ChunkBlocks(int tokens, int full)
    {
        int groups = full / GroupBlocks;
        int perChunk = Math.Max(1, ChunkBytes / (tokens * GroupBlocks * (32 + sizeof(int) + sizeof(float))));
        int chunks = Math.Max(1, (groups + perChunk - 1) / perChunk);
        return (groups + chunks - 1) / chunks * GroupBlocks;
    }

    /// <summary>
    /// Asks for <paramref name="bytes"/> at <paramref name="p"/> in cache. The pair of rows after the current one is
    /// fetched a slice per group: weights come from memory-mapped file pages, where the hardware prefetcher stops at
    /// each 4 KiB page, and with 8 tokens of work per weight byte the out-of-order window runs too little ahead to hide
    /// the misses (1.24B Q4_0 model, B = 8: most kernel time went to stalls on the weight loads). Never faults, even past
    /// the last row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Prefetch(byte* p, int bytes)
    {
        for (int o = 0; o < bytes; o += 64)
        {
            Sse.Prefetch0(p + o);
        }
    }

    /// <summary>
    /// Quant bytes of 16 blocks at <paramref name="wb"/> (288 bytes, six loads, none past them): q_j holds bytes
    /// 4j..4j+3 of block L in 32-bit lane L.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<byte>, Vector512<byte>, Vector512<byte>, Vector512<byte>) Quads(byte* wb)
    {
        Vector512<byte> w0 = Vector512.Load(wb), w64 = Vector512.Load(wb + 64), w80 = Vector512.Load(wb + 80);
        Vector512<byte> w144 = Vector512.Load(wb + 144), w208 = Vector512.Load(wb + 208), w224 = Vector512.Load(wb + 224);
        // p_k: blocks 4k..4k+3, 128-bit lane j = their quant bytes 4j..4j+3.
        Vector512<int> p0 = Avx512Vbmi.PermuteVar64x8x2(w0, IdxA, w64).AsInt32();
        Vector512<int> p1 = Avx512Vbmi.PermuteVar64x8x2(w64, IdxB, w80).AsInt32();
        Vector512<int> p2 = Avx512Vbmi.PermuteVar64x8x2(w144, IdxA, w208).AsInt32();
        Vector512<int> p3 = Avx512Vbmi.PermuteVar64x8x2(w208, IdxB, w224).AsInt32();
        // 4×4 transpose of 128-bit lanes: q_j = lane j of p0, p1, p2, p3.
        Vector512<int> a = Avx512F.Shuffle4x128(p0, p1, 0x44), b = Avx512F.Shuffle4x128(p0, p1, 0xEE);
        Vector512<int> c = Avx512F.Shuffle4x128(p2, p3, 0x44), d = Avx512F.Shuffle4x128(p2, p3, 0xEE);
        return (Avx512F.Shuffle4x128(a, c, 0x88).AsByte(), Avx512F.Shuffle4x128(a, c, 0xDD).AsByte(),
                Avx512F.Shuffle4x128(b, d, 0x88).AsByte(), Avx512F.Shuffle4x128(b, d, 0xDD).AsByte());
    }

    /// <summary>The 16 weight scales d_w of the blocks at <paramref name="wb"/>, lane L = block L.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scales(byte* wb)
    {
        Vector512<byte> w0 = Vector512.Load(wb), w64 = Vector512.Load(wb + 64);
        Vector512<byte> w144 = Vector512.Load(wb + 144), w208 = Vector512.Load(wb + 208);
        return Vector512.Create(
            DotQ4.HighHalfToSingle(Avx512Vbmi.PermuteVar64x8x2(w0, IdxScales, w64).AsUInt32().GetLower()),
            DotQ4.HighHalfToSingle(Avx512Vbmi.PermuteVar64x8x2(w144, IdxScales, w208).AsUInt32().GetLower()));
    }

    /// <summary>
    /// Σ nibble·x per block (int32 lane L = block L, no −8 offset) of 16 unpacked blocks (low nibbles l0..l3, high
    /// h0..h3) against one token's transposed quants x0..x7: 8 products summed in int16, then widened.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Dots(Vector512<byte> l0, Vector512<byte> l1, Vector512<byte> l2, Vector512<byte> l3,
        Vector512<byte> h0, Vector512<byte> h1, Vector512<byte> h2, Vector512<byte> h3,
        Vector512<sbyte> x0, Vector512<sbyte> x1, Vector512<sbyte> x2, Vector512<sbyte> x3,
        Vector512<sbyte> x4, Vector512<sbyte> x5, Vector512<sbyte> x6, Vector512<sbyte> x7)
    {
        Vector512<short> s16 =
            (Avx512BW.MultiplyAddAdjacent(l0, x0) + Avx512BW.MultiplyAddAdjacent(l1, x1))
          + (Avx512BW.MultiplyAddAdjacent(l2, x2) + Avx512BW.MultiplyAddAdjacent(l3, x3))
          + ((Avx512BW.MultiplyAddAdjacent(h0, x4) + Avx512BW.MultiplyAddAdjacent(h1, x5))
          + (Avx512BW.MultiplyAddAdjacent(h2, x6) + Avx512BW.MultiplyAddAdjacent(h3, x7)));
        return Avx512BW.MultiplyAddAdjacent(s16, Vector512.Create((short)1));
    }

    /// <summary>
    /// <paramref name="acc"/> + d·s for 16 blocks (d = d_w·d_x, s their integer dots), as two FMAs of 8 lanes: blocks
    /// 0..7, then 8..15, the order <see cref="DotQ4.Dot(byte*, byte*, int)"/> accumulates in.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<float> acc, Vector512<float> d, Vector512<int> s)
    {
        Vector512<float> f = Avx512F.ConvertToVector512Single(s);
        return Fma.MultiplyAdd(d.GetUpper(), f.GetUpper(), Fma.MultiplyAdd(d.GetLower(), f.GetLower(), acc));
    }

    /// <summary>
    /// <paramref name="groups"/> groups of 16 blocks of two weight rows (the first at <paramref name="wa0"/>, the second
    /// <paramref name="rowBytes"/> after it) against <paramref name="tokens"/> (1..<see cref="MaxTokens"/>) tokens'
    /// transposed groups (the first at <paramref name="xg0"/>, tokens <paramref name="tStride"/> apart), added to
    /// <c>acc[t]</c> (first row) and <c>acc[tokens + t]</c> (second). <paramref name="next"/>: the same span of the
    /// weights that come next, <see cref="Prefetch"/>ed a group at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Rows2(byte* wa0, long rowBytes, int groups, byte* xg0, long tStride, int tokens,
        Vector256<float>* acc, byte* next)
    {
        Vector512<byte> m = Vector512.Create((byte)0x0f);
        bool gfni = Gfni.V512.IsSupported;
        long span = (long)groups * GroupBytes;
        for (int k = 0; k < groups; k++)
        {
            // The next two rows' span, swept one after the other at twice this pass's pace (two interleaved streams,
            // one per row, measured 20-35% slower for 2 and 4 tokens).
            long o = 2L * k * GroupBytes;
            byte* wa = wa0 + k * GroupBytes, wb = wa + rowBytes;
            Prefetch(o < span ? next + o : next + rowBytes + (o - span), 2 * GroupBytes);
            (Vector512<byte> qa0, Vector512<byte> qa1, Vector512<byte> qa2, Vector512<byte> qa3) = Quads(wa);
            (Vector512<byte> qb0, Vector512<byte> qb1, Vector512<byte> qb2, Vector512<byte> qb3) = Quads(wb);
            Vector512<byte> la0 = qa0 & m, la1 = qa1 & m, la2 = qa2 & m, la3 = qa3 & m;
            Vector512<byte> ha0 = DotQ4.HighNibbles(qa0, gfni), ha1 = DotQ4.HighNibbles(qa1, gfni);
            Vector512<byte> ha2 = DotQ4.HighNibbles(qa2, gfni), ha3 = DotQ4.HighNibbles(qa3, gfni);
            Vector512<byte> lb0 = qb0 & m, lb1 = qb1 & m, lb2 = qb2 & m, lb3 = qb3 & m;
            Vector512<byte> hb0 = DotQ4.HighNibbles(qb0, gfni), hb1 = DotQ4.HighNibbles(qb1, gfni);
            Vector512<byte> hb2 = DotQ4.HighNibbles(qb2, gfni), hb3 = DotQ4.HighNibbles(qb3, gfni);
            Vector512<float> dwa = Scales(wa), dwb = Scales(wb);
            for (int t = 0; t < tokens; t++)
            {
                byte* xg = xg0 + t * tStride + k * GroupStride;
                Vector512<sbyte> x0 = Vector512.Load((sbyte*)xg), x1 = Vector512.Load((sbyte*)xg + 64);
                Vector512<sbyte> x2 = Vector512.Load((sbyte*)xg + 128), x3 = Vector512.Load((sbyte*)xg + 192);
                Vector512<sbyte> x4 = Vector512.Load((sbyte*)xg + 256), x5 = Vector512.Load((sbyte*)xg + 320);
                Vector512<sbyte> x6 = Vector512.Load((sbyte*)xg + 384), x7 = Vector512.Load((sbyte*)xg + 448);
                Vector512<int> offset = Vector512.Load((int*)(xg + OffsetsAt));
                Vector512<float> dx = Vector512.Load((float*)(xg + ScalesAt));
                Vector512<int> sa = Dots(la0, la1, la2, la3, ha0, ha1, ha2, ha3, x0, x1, x2, x3, x4, x5, x6, x7) - offset;
                Vector512<int> sb = Dots(lb0, lb1, lb2, lb3, hb0, hb1, hb2, hb3, x0, x1, x2, x3, x4, x5, x6, x7) - offset;
                acc[t] = Accumulate(acc[t], dwa * dx, sa);
                acc[tokens + t] = Accumulate(acc[tokens + t], dwb * dx, sb);
            }
        }
    }

    /// <summary>
    /// <paramref name="groups"/> groups of 16 blocks of one weight row at <paramref name="w0"/> against
    /// <paramref name="tokens"/> (1..<see cref="MaxTokens"/>) tokens' transposed groups (as for <see cref="Rows2"/>),
    /// added to <c>acc[t]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Row(byte* w0, int groups, byte* xg0, long tStride, int tokens, Vector256<float>* acc)
    {
        Vector512<byte> m = Vector512.Create((byte)0x0f);
        bool gfni = Gfni.V512.IsSupported;
        for (int k = 0; k < groups; k++)
        {
            byte* wb = w0 + k * GroupBytes;
            (Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3) = Quads(wb);
            Vector512<byte> l0 = q0 & m, l1 = q1 & m, l2 = q2 & m, l3 = q3 & m;
            Vector512<byte> h0 = DotQ4.HighNibbles(q0, gfni), h1 = DotQ4.HighNibbles(q1, gfni);
            Vector512<byte> h2 = DotQ4.HighNibbles(q2, gfni), h3 = DotQ4.HighNibbles(q3, gfni);
            Vector512<float> dw = Scales(wb);
            for (int t = 0; t < tokens; t++)
            {
                sbyte* xg = (sbyte*)(xg0 + t * tStride + k * GroupStride);
                Vector512<int> s = Dots(l0, l1, l2, l3, h0, h1, h2, h3,
                    Vector512.Load(xg), Vector512.Load(xg + 64), Vector512.Load(xg + 128), Vector512.Load(xg + 192),
                    Vector512.Load(xg + 256), Vector512.Load(xg + 320), Vector512.Load(xg + 384), Vector512.Load(xg + 448))
                    - Vector512.Load((int*)(xg + OffsetsAt));
                acc[t] = Accumulate(acc[t], dw * Vector512.Load((float*)(xg + ScalesAt)), s);
            }
        }
    }
}
