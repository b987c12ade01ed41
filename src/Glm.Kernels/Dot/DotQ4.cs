using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Dot;

/// <summary>
/// Q4_0·Q8_0 on 512 bits with AVX-512 VBMI: the gemv (decode) kernel for Q4_0 weights, read in place (GGUF layout, no
/// repacked copy). Per 8 blocks (144 bytes): three 64-byte loads; per 4 blocks one <c>vpermt2b</c> gathers their 64
/// quant bytes so that 32-bit lane L holds 4 bytes of block L mod 4, and a third picks the 8 fp16 scales. Low nibbles
/// (AND) and high nibbles (one <c>vgf2p8affineqb</c>) go into <c>vpmaddubsw</c> against the activation quants, which
/// <see cref="Gemv.Prepare"/> stores once per call in the same order (<see cref="StoreQ4Order(byte*, int, byte*)"/>).
/// The int16 products are folded lane onto lane (each int16 stays ≤ 4·2·2·15·128 = 30720) and one <c>vpdpwssd</c>
/// with −1 leaves 8·Σq_x − dot for the 8 blocks in 8 int32 lanes: no horizontal adds, and the −8 offset costs nothing
/// (the final FMA negates). About 5 vector instructions per block where the 256-bit VNNI kernel
/// (<see cref="DotQ8"/>) needs about 9 (broadcast, shift, blend, mask and horizontal adds per block), which left Q4_0
/// decode compute-bound (one core, 2048×2048: 20 → 30 GB/s on AMD EPYC Zen 5).
/// </summary>
internal static unsafe class DotQ4
{
    private const int B4 = Q4_0.BlockBytes;
    private const int B8 = Q8_0.BlockBytes;

    /// <summary>Bytes of activation quants in Q4 order per full group of 4 blocks (low halves, then high halves).</summary>
    public const int GroupBytes = 128;

    /// <summary>Where the kernels can run: AVX-512 BW and VBMI (byte permutes across 128 bytes).</summary>
    public static readonly bool Supported = SimdPaths.V512Supported && Avx512Vbmi.IsSupported;

    /// <summary>The block (of a group of 4) whose quants byte p (0..63) of a permuted vector holds: 32-bit lane p/4 mod 4.</summary>
    private static int Block(int p) => p / 4 % 4;

    /// <summary>The quant byte j (0..15, elements j and j + 16) that byte p of a permuted vector holds.</summary>
    private static int Byte(int p) => p / 16 * 4 + p % 4;

    /// <summary>
    /// Bytes appended to a prepared Q8_0 row of <paramref name="nb"/> blocks for Q4_0 weights: whole steps of 8 blocks,
    /// the last one zero-padded (the last step reads it whole).
    /// </summary>
    public static int OrderBytes(int nb) => (nb + 7) / 8 * 2 * GroupBytes;

    /// <summary>
    /// Writes, for each group of 4 Q8_0 blocks of <paramref name="xq"/>, 64 bytes of quants x[j] and 64 of x[j + 16]
    /// (j = <see cref="Byte"/>(p) of block <see cref="Block"/>(p)) to <paramref name="dst"/>: the order
    /// <see cref="Dot(byte*, byte*, int)"/> multiplies the low and high nibbles in. Blocks past <paramref name="nb"/> up
    /// to the next multiple of 8 are written as zeros (<see cref="OrderBytes"/> in all).
    /// </summary>
    public static void StoreQ4Order(byte* xq, int nb, byte* dst) => StoreQ4Order(xq, nb, dst, Supported);

    /// <summary><see cref="StoreQ4Order(byte*, int, byte*)"/>; <paramref name="vbmi"/>: with byte permutes, else scalar.</summary>
    internal static void StoreQ4Order(byte* xq, int nb, byte* dst, bool vbmi)
    {
        int g = 0;
        if (vbmi)
        {
            Vector512<byte> lo = IdxXLow, hi = IdxXHigh;
            for (; g + 4 <= nb; g += 4)
            {
                // A group is 136 bytes: the high halves come from the window starting 8 bytes in.
                byte* xb = xq + g * B8;
                Avx512Vbmi.PermuteVar64x8x2(Vector512.Load(xb), lo, Vector512.Load(xb + 64)).Store(dst + g * 32);
                Avx512Vbmi.PermuteVar64x8x2(Vector512.Load(xb + 8), hi, Vector512.Load(xb + 72)).Store(dst + g * 32 + 64);
            }
        }
        for (; g < nb; g += 4)
        {
            for (int p = 0; p < 64; p++)
            {
                bool live = g + Block(p) < nb;
                byte* q = xq + (g + Block(p)) * B8 + 2 + Byte(p);
                dst[g * 32 + p] = live ? q[0] : (byte)0;
                dst[g * 32 + 64 + p] = live ? q[16] : (byte)0;
            }
        }
        if (g % 8 != 0)
        {
            new Span<byte>(dst + g * 32, GroupBytes).Clear();
        }
    }

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

    /// <summary>Offset of the weight quant byte that permuted byte p holds, from the start of its group of 4 blocks.</summary>
    private static int WeightByte(int p) => 18 * Block(p) + 2 + Byte(p);

    /// <summary>Quant bytes of blocks 0..3 of 8, from the 128-byte window w[0..127].</summary>
    private static readonly Vector512<byte> IdxA = Index(WeightByte);

    /// <summary>Quant bytes of blocks 4..7 of 8 (bytes a = 74..143), from w[64..127] (index a − 64) and w[80..143] (a − 16).</summary>
    private static readonly Vector512<byte> IdxB = Index(p => 72 + WeightByte(p) is int a && a < 128 ? a - 64 : a - 16);

    /// <summary>Activation quants x[j] of a group of 4 Q8_0 blocks (bytes 2..119), from x[0..127].</summary>
    private static readonly Vector512<byte> IdxXLow = Index(p => 34 * Block(p) + 2 + Byte(p));

    /// <summary>Activation quants x[j + 16] (bytes 18..135), from x[8..135] (index a − 8).</summary>
    private static readonly Vector512<byte> IdxXHigh = Index(p => 34 * Block(p) + 18 + Byte(p) - 8);

    /// <summary>
    /// The fp16 scale of block k of 8 in the high 16 bits of 32-bit lane k (lanes 0..7), from w[0..127]; the low bits
    /// are don't-cares.
    /// </summary>
    private static readonly Vector512<byte> IdxScales = Index(p => p < 32 && p % 4 >= 2 ? 18 * (p / 4) + p % 4 - 2 : 0);

    /// <summary>
    /// <c>y[r] = dot(W row r, x)</c> for r in [<paramref name="r0"/>, <paramref name="r1"/>), <paramref name="x"/>
    /// prepared by <see cref="Gemv.Prepare"/> for Q4_0 weights. One row at a time: two rows per pass sharing the
    /// activation loads ran 2.5× slower on a 175 MB matrix (two interleaved streams defeat the hardware prefetcher).
    /// Needs <see cref="Supported"/>.
    /// </summary>
    public static void Rows(byte* w, long rowBytes, byte* x, int nb, float* y, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            y[r] = Dot(w + r * rowBytes, x, nb, tailInPlace: r + 1 < r1 && nb >= 8);
        }
    }

    /// <summary>One row: Σ over <paramref name="nb"/> blocks, <paramref name="x"/> prepared as for <see cref="Rows"/>.</summary>
    public static float Dot(byte* w, byte* x, int nb) => Dot(w, x, nb, tailInPlace: false);

    /// <summary>
    /// A row's dot: 8 blocks at a time, the last 1..7 as a <see cref="PaddedStep"/> whose missing blocks add exactly +0
    /// to their lanes, then the lane sum (lane k: blocks ≡ k mod 8). <see cref="GemmQ4"/> adds its blocks in the same
    /// order, so that its rows come out bit for bit alike. <paramref name="tailInPlace"/>: the 8 blocks' bytes from the
    /// last step on are readable (another row of at least 8 blocks follows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(byte* w, byte* x, int nb, bool tailInPlace)
    {
        int* sums = (int*)(x + nb * B8);
        float* dx = (float*)(sums + nb);
        byte* xo = (byte*)(dx + nb);
        Vector256<float> acc = Vector256<float>.Zero, all = Vector256<float>.AllBitsSet;
        int i = 0;
        for (; i + 8 <= nb; i += 8)
        {
            byte* xg = xo + i * 32;
            acc = Step8(acc, w + i * B4, Vector512.Load((sbyte*)xg), Vector512.Load((sbyte*)xg + 64),
                Vector512.Load((sbyte*)xg + 128), Vector512.Load((sbyte*)xg + 192), Vector256.Load(sums + i) << 3,
                Vector256.Load(dx + i), all);
        }
        return Vector256.Sum(i < nb
            ? PaddedStep(acc, w + i * B4, xo + i * 32, sums + i, dx + i, nb - i, tailInPlace)
            : acc);
    }

    /// <summary>
    /// <see cref="Step8"/> over the last <paramref name="left"/> (1..7) blocks of a row at <paramref name="wb"/>, read in
    /// place when <paramref name="inPlace"/>, else copied into an 8-block window (the row may end where the mapped
    /// weights do). Whatever follows them is cancelled: its activation quants are zero (Q4 order is zero-padded), and
    /// its block sums and products d = d_w·d_x are masked to zero (so not even a NaN scale there gets in). A missing
    /// block adds +0 to its lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining), SkipLocalsInit]
    private static Vector256<float> PaddedStep(Vector256<float> acc, byte* wb, byte* xg, int* sums, float* dx, int left,
        bool inPlace)
    {
        byte* copy = stackalloc byte[8 * B4];
        byte* window = PaddedTail.Window(wb, left * B4, copy, inPlace);
        Vector256<int> live = PaddedTail.Live(left);
        return Step8(acc, window, Vector512.Load((sbyte*)xg), Vector512.Load((sbyte*)xg + 64),
            Vector512.Load((sbyte*)xg + 128), Vector512.Load((sbyte*)xg + 192), (Vector256.Load(sums) << 3) & live,
            Vector256.Load(dx), live.AsSingle());
    }

    /// <summary>
    /// <paramref name="acc"/> + d_w·d_x·(block dot) for 8 blocks at <paramref name="wb"/> (lanes in block order);
    /// x0..x3: the 256 activation bytes in Q4 order, <paramref name="sums8"/>: 8·Σq_x, <paramref name="dx"/>: d_x;
    /// <paramref name="keep"/>: the lanes whose d_w·d_x count (all bits set), the others become +0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step8(Vector256<float> acc, byte* wb, Vector512<sbyte> x0, Vector512<sbyte> x1,
        Vector512<sbyte> x2, Vector512<sbyte> x3, Vector256<int> sums8, Vector256<float> dx, Vector256<float> keep)
    {
        // Three loads cover the 144 bytes without reading past them.
        Vector512<byte> w0 = Vector512.Load(wb), w64 = Vector512.Load(wb + 64), w80 = Vector512.Load(wb + 80);
        Vector512<short> pa = Products(Avx512Vbmi.PermuteVar64x8x2(w0, IdxA, w64), x0, x1);
        Vector512<short> pb = Products(Avx512Vbmi.PermuteVar64x8x2(w64, IdxB, w80), x2, x3);
        Vector256<int> negS = NegatedDots8(pa, pb, sums8, AvxVnni.IsSupported);
        Vector256<uint> scaleBits = Avx512Vbmi.PermuteVar64x8x2(w0, IdxScales, w64).AsUInt32().GetLower();
        Vector256<float> d = (HighHalfToSingle(scaleBits) * dx) & keep;
        return Fma.MultiplyAddNegated(d, Avx.ConvertToVector256Single(negS), acc);
    }

    /// <summary>
    /// <c>vgf2p8affineqb</c> matrix for a logical right shift of each byte by 4: row i (byte 7 − i) picks input bit i + 4.
    /// </summary>
    private const ulong ShiftRight4 = 0x10_20_40_80_00_00_00_00;

    /// <summary>
    /// Int16 pair sums of 4 permuted blocks: low nibbles times x[j], high nibbles times x[j + 16]; 32-bit lane L
    /// belongs to block L mod 4. Each int16 is at most 2·2·15·128 in magnitude.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Products(Vector512<byte> q, Vector512<sbyte> xLow, Vector512<sbyte> xHigh)
    {
        Vector512<byte> lo = q & Vector512.Create((byte)0x0f);
        return Avx512BW.MultiplyAddAdjacent(lo, xLow)
             + Avx512BW.MultiplyAddAdjacent(HighNibbles(q, Gfni.V512.IsSupported), xHigh);
    }

    /// <summary>q >> 4 per byte: one <c>vgf2p8affineqb</c> with <paramref name="gfni"/>, else a 16-bit shift and a mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<byte> HighNibbles(Vector512<byte> q, bool gfni) =>
        gfni
            ? Gfni.V512.GaloisFieldAffineTransform(q, Vector512.Create(ShiftRight4).AsByte(), 0)
            : (q.AsUInt16() >> 4).AsByte() & Vector512.Create((byte)0x0f);

    /// <summary>
    /// 8·Σq_x minus the dot of each of the 8 blocks of two <see cref="Products"/> (blocks 0..3 and 4..7), that is the
    /// negated Q4_0 block dots, <paramref name="sums8"/> holding 8·Σq_x: the four 128-bit lanes of each folded onto one
    /// in int16 (no overflow, see <see cref="Products"/>), then one <c>vpdpwssd</c> with −1 (or <c>vpmaddwd</c> and an
    /// add where <paramref name="vnni"/> is false). Negated so the offset needs no extra instruction; the caller's FMA
    /// negates back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> NegatedDots8(Vector512<short> a, Vector512<short> b, Vector256<int> sums8, bool vnni)
    {
        // [a0 a1 b0 b1] + [a2 a3 b2 b3], then lanes reordered to [0 2 1 3] so the halves add to [Σa, Σb].
        Vector512<short> e = Avx512F.Shuffle4x128(a.AsInt32(), b.AsInt32(), 0x44).AsInt16()
                           + Avx512F.Shuffle4x128(a.AsInt32(), b.AsInt32(), 0xEE).AsInt16();
        Vector512<short> f = Avx512F.Shuffle4x128(e.AsInt32(), e.AsInt32(), 0xD8).AsInt16();
        Vector256<short> g = f.GetLower() + f.GetUpper(), minusOnes = Vector256.Create((short)-1);
        return vnni
            ? AvxVnni.MultiplyWideningAndAdd(sums8, g, minusOnes)
            : sums8 + Avx2.MultiplyAddAdjacent(g, minusOnes);
    }

    /// <summary>
    /// fp16 bits held in the high 16 bits of each 32-bit lane (low bits ignored) to floats, exact (subnormals,
    /// infinities, NaNs): as <see cref="Fp16.HalfBitsToSingle(Vector256{uint})"/> without first clearing the low bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HighHalfToSingle(Vector256<uint> t)
    {
        // Exponent and mantissa to bits 13..27, re-biased by 2^112 (which also normalizes subnormals).
        Vector256<uint> o = (t >> 3) & Vector256.Create(0x0fffe000u);
        Vector256<float> f = o.AsSingle() * Vector256.Create(5192296858534827628530496329220096f);
        Vector256<uint> infNan = Vector256.GreaterThanOrEqual(o, Vector256.Create(0x0f800000u));
        f = Vector256.ConditionalSelect(infNan.AsSingle(), (o | Vector256.Create(0x7f800000u)).AsSingle(), f);
        return f | (t & Vector256.Create(0x80000000u)).AsSingle();
    }
}
