using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Dot;

/// <summary>
/// Q8_0·Q8_0 and Q4_0·Q8_0 dot products over <c>nb</c> blocks of 32, the activation side already prepared by
/// <see cref="Gemv.Prepare"/> (ggml <c>ggml_vec_dot_q8_0_q8_0</c> / <c>ggml_vec_dot_q4_0_q8_0</c>). Per block an exact
/// int32 dot, then <c>sum += dot · d_w · d_x</c> in float. SIMD paths take eight blocks per step: eight int32 dots
/// (Q8_0: AVX2 sign trick <c>vpsignb</c> + <c>vpmaddubsw</c> + <c>vpmaddwd</c>, or <c>vpdpbusd</c> where AVX-VNNI
/// exists; Q4_0: the unsigned nibbles straight into <c>vpdpbusd</c>/<c>vpmaddubsw</c>, minus 8·Σq_x from the prepared
/// block sums), reduced to one vector by horizontal adds, scaled by the eight d_w·d_x at once (weight scales
/// gathered, or byte-permuted with AVX-512 VBMI, and converted together, activation scales read as floats from the
/// prepared row) with one FMA. V512 does the multiplies two blocks per 512-bit register. Pointers must stay valid for
/// the call; nothing allocates.
/// </summary>
internal static unsafe class DotQ8
{
    private const int B8 = Q8_0.BlockBytes;
    private const int B4 = Q4_0.BlockBytes;

    public static float Q8_0Reference(byte* w, byte* x, int nb)
    {
        float sum = 0f;
        for (int i = 0; i < nb; i++)
        {
            sbyte* a = (sbyte*)(w + i * B8 + 2), b = (sbyte*)(x + i * B8 + 2);
            int s = 0;
            for (int j = 0; j < 32; j++)
            {
                s += a[j] * b[j];
            }
            sum += s * (Fp16.HalfToSingle(*(ushort*)(w + i * B8)) * Fp16.HalfToSingle(*(ushort*)(x + i * B8)));
        }
        return sum;
    }

    public static float Q4_0Reference(byte* w, byte* x, int nb)
    {
        float sum = 0f;
        for (int i = 0; i < nb; i++)
        {
            byte* a = w + i * B4 + 2;
            sbyte* b = (sbyte*)(x + i * B8 + 2);
            int s = 0;
            for (int j = 0; j < 16; j++)
            {
                s += ((a[j] & 0xf) - 8) * b[j] + ((a[j] >> 4) - 8) * b[j + 16];
            }
            sum += s * (Fp16.HalfToSingle(*(ushort*)(w + i * B4)) * Fp16.HalfToSingle(*(ushort*)(x + i * B8)));
        }
        return sum;
    }

    /// <summary>
    /// .NET 10 exposes VNNI only at 256 bits (AvxVnni); where it exists the 256-bit kernels measured faster than the
    /// 512-bit maddubs ones (AMD EPYC, 4096×4096 gemv: Q4_0 16.4 vs 13.1 GB/s, Q8_0 25.8 vs 23.3 GB/s single thread), so
    /// the V512 path uses them. AVX-512 machines without AVX-VNNI run the 512-bit kernels. Q4_0 on the V512 path runs
    /// <see cref="DotQ4"/> instead wherever AVX-512 VBMI exists.
    /// </summary>
    internal static readonly bool PreferVnni256 = AvxVnni.IsSupported;

    public static float Q8_0Dot(byte* w, byte* x, int nb, SimdPath path) => path switch
    {
        SimdPath.V512 => PreferVnni256 ? Q8_0Avx2(w, x, nb, Vbmi) : Q8_0Avx512(w, x, nb),
        SimdPath.V256 => Q8_0Avx2(w, x, nb, vbmi: false),
        _ => Q8_0Reference(w, x, nb),
    };

    public static float Q4_0Dot(byte* w, byte* x, int nb, SimdPath path) => path switch
    {
        SimdPath.V512 => DotQ4.Supported ? DotQ4.Dot(w, x, nb) : PreferVnni256 ? Q4_0Avx2(w, x, nb) : Q4_0Avx512(w, x, nb),
        SimdPath.V256 => Q4_0Avx2(w, x, nb),
        _ => Q4_0Reference(w, x, nb),
    };

    /// <summary>Eight int32 lanes, each the dot of 4 adjacent int8 pairs of a and b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> MulSum(Vector256<sbyte> a, Vector256<sbyte> b)
    {
        return AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Avx2.Abs(a), Avx2.Sign(b, a))
            : MulSumAvx2Only(a, b);
    }

    /// <summary><see cref="MulSum(Vector256{sbyte}, Vector256{sbyte})"/> without AVX-VNNI (what AVX2-only CPUs run).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> MulSumAvx2Only(Vector256<sbyte> a, Vector256<sbyte> b) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(a), Avx2.Sign(b, a)), Vector256.Create((short)1));

    /// <summary>Sixteen int32 lanes, each the dot of 4 adjacent int8 pairs of a and b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> MulSum(Vector512<sbyte> a, Vector512<sbyte> b)
    {
        Vector512<byte> ax = Avx512BW.Abs(a);
        Vector512<sbyte> sb = Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512<sbyte>.Zero), -b, b);
        return Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(ax, sb), Vector512.Create((short)1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Scale(byte* blockW, byte* blockX) =>
        Fp16.HalfToSingle(*(ushort*)blockW) * Fp16.HalfToSingle(*(ushort*)blockX);

    /// <summary>
    /// Where AVX-512 VBMI exists the V512 path picks the weight scales out of 64-byte loads with <c>vpermt2b</c>
    /// instead of a gather, which is microcoded (slow on AMD Zen) and was a large share of the per-block work.
    /// </summary>
    internal static readonly bool Vbmi = Avx512Vbmi.IsSupported;

    /// <summary>
    /// Products d_w·d_x of 8 consecutive blocks: the weight scales (see <see cref="ScaleBits8"/>) converted in one
    /// vector pass, the activation scales read as floats from the prepared row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Scales8(byte* w, int bw, float* dx, bool vbmi) =>
        Fp16.HalfBitsToSingle(ScaleBits8(w, bw, vbmi).AsUInt32()) * Vector256.Load(dx);

    /// <summary>
    /// The fp16 scale bits of 8 consecutive weight blocks of <paramref name="bw"/> bytes (Q8_0 or Q4_0), one per int32
    /// lane (low 16 bits). <paramref name="vbmi"/>: byte permutes of 64-byte loads, all within the 8 blocks (needs
    /// <see cref="Vbmi"/>); else one 32-bit gather with the low halves kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> ScaleBits8(byte* w, int bw, bool vbmi)
    {
        Vector256<int> low16 = Vector256.Create(0xffff);
        if (!vbmi)
        {
            Vector256<int> offsets = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * bw;
            return Avx2.GatherVector256((int*)w, offsets, 1) & low16;
        }
        if (bw == B4)
        {
            // Scale k sits in bytes 18k, 18k + 1: all eight inside the first 128 bytes.
            Vector512<byte> idx = Vector512.Create(0x0100, 0x1312, 0x2524, 0x3736, 0x4948, 0x5b5a, 0x6d6c, 0x7f7e,
                0, 0, 0, 0, 0, 0, 0, 0).AsByte();
            return Avx512Vbmi.PermuteVar64x8x2(Vector512.Load(w), idx, Vector512.Load(w + 64)).AsInt32().GetLower() & low16;
        }
        // Scale k sits in bytes 34k, 34k + 1: four inside the first 128 bytes of each half (136 bytes) of the 8 blocks.
        Vector512<byte> idx4 = Vector512.Create(0x0100, 0x2322, 0x4544, 0x6766, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0).AsByte();
        Vector128<int> lo = Avx512Vbmi.PermuteVar64x8x2(Vector512.Load(w), idx4, Vector512.Load(w + 64)).AsInt32().GetLower().GetLower();
        byte* h = w + 4 * B8;
        Vector128<int> hi = Avx512Vbmi.PermuteVar64x8x2(Vector512.Load(h), idx4, Vector512.Load(h + 64)).AsInt32().GetLower().GetLower();
        return Vector256.Create(lo, hi) & low16;
    }

    /// <summary>Lane k of the result is the sum of all eight lanes of p_k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Reduce8(Vector256<int> p0, Vector256<int> p1, Vector256<int> p2, Vector256<int> p3,
        Vector256<int> p4, Vector256<int> p5, Vector256<int> p6, Vector256<int> p7)
    {
        Vector256<int> q0 = Avx2.HorizontalAdd(Avx2.HorizontalAdd(p0, p1), Avx2.HorizontalAdd(p2, p3));
        Vector256<int> q1 = Avx2.HorizontalAdd(Avx2.HorizontalAdd(p4, p5), Avx2.HorizontalAdd(p6, p7));
        return Avx2.Permute2x128(q0, q1, 0x20) + Avx2.Permute2x128(q0, q1, 0x31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> LoadW(byte* w, int k) => Vector256.Load((sbyte*)(w + k * B8 + 2));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> LoadX(byte* x, int k) => Vector256.Load((sbyte*)(x + k * B8 + 2));

    /// <summary>
    /// Q8_0 on 256 bits: eight blocks per step, their scales converted together and their int32 sums reduced with
    /// horizontal adds, so the per-block float work is one lane of one FMA. The last 1..7 blocks make one more step
    /// (<see cref="Q8_0PaddedStep"/>) whose missing blocks add exactly +0 to their lanes, then the lane sum:
    /// <see cref="GemmQ8"/> adds its blocks in the same order, so that its rows come out bit for bit alike.
    /// </summary>
    private static float Q8_0Avx2(byte* w, byte* x, int nb, bool vbmi, bool tailInPlace = false)
    {
        int* sums = (int*)(x + nb * B8);
        float* dx = (float*)(sums + nb);
        Vector256<float> acc = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= nb; i += 8)
        {
            byte* wb = w + i * B8, xb = x + i * B8;
            Vector256<int> s = Reduce8(
                Q8Block(LoadW(wb, 0), LoadX(xb, 0)), Q8Block(LoadW(wb, 1), LoadX(xb, 1)),
                Q8Block(LoadW(wb, 2), LoadX(xb, 2)), Q8Block(LoadW(wb, 3), LoadX(xb, 3)),
                Q8Block(LoadW(wb, 4), LoadX(xb, 4)), Q8Block(LoadW(wb, 5), LoadX(xb, 5)),
                Q8Block(LoadW(wb, 6), LoadX(xb, 6)), Q8Block(LoadW(wb, 7), LoadX(xb, 7))) - Q8Offset(sums + i);
            acc = Fma.MultiplyAdd(Scales8(wb, B8, dx + i, vbmi), Avx.ConvertToVector256Single(s), acc);
        }
        if (i < nb)
        {
            acc = Q8_0PaddedStep(acc, w + i * B8, (byte*)(dx + nb), sums + i, dx + i, nb - i, vbmi, tailInPlace);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>
    /// <c>y[r] = dot(W row r, x)</c> for Q8_0 rows r in [<paramref name="r0"/>, <paramref name="r1"/>) on a SIMD
    /// <paramref name="path"/>: as <see cref="Q8_0Dot"/> row by row, the last blocks of a row followed by another read
    /// in place.
    /// </summary>
    public static void Q8_0Rows(byte* w, long rowBytes, byte* x, int nb, float* y, int r0, int r1, SimdPath path)
    {
        bool avx2 = path == SimdPath.V256 || PreferVnni256, vbmi = path == SimdPath.V512 && Vbmi;
        for (int r = r0; r < r1; r++)
        {
            y[r] = avx2
                ? Q8_0Avx2(w + r * rowBytes, x, nb, vbmi, tailInPlace: r + 1 < r1 && nb >= 8)
                : Q8_0Avx512(w + r * rowBytes, x, nb);
        }
    }

    /// <summary>
    /// Bytes a prepared row for Q8_0 weights ends with (<see cref="StoreTail"/>): its last nb mod 8 blocks again,
    /// zero-padded to 8; none when nb is a multiple of 8.
    /// </summary>
    public static int TailBytes(int nb) => nb % 8 == 0 ? 0 : 8 * B8;

    /// <summary>
    /// Writes the last nb mod 8 Q8_0 blocks of <paramref name="xq"/>, then zero blocks up to 8, to <paramref name="dst"/>.
    /// </summary>
    internal static void StoreTail(byte* xq, int nb, byte* dst)
    {
        int left = nb % 8;
        if (left > 0)
        {
            var window = new Span<byte>(dst, 8 * B8);
            window.Clear();
            new ReadOnlySpan<byte>(xq + (nb - left) * B8, left * B8).CopyTo(window);
        }
    }

    /// <summary>
    /// The last <paramref name="left"/> (1..7) Q8_0 weight blocks at <paramref name="wb"/>, read in place when
    /// <paramref name="inPlace"/> (another row of at least 8 blocks follows), else copied into a window (the row may
    /// end where the mapped weights do), against the activation's zero-padded tail <paramref name="xTail"/>
    /// (<see cref="StoreTail"/>): the missing blocks' integer dots, and their d = d_w·d_x, are masked to zero (the
    /// bytes past the row and past the prepared sums and scales are not theirs), so each adds +0 to its lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining), SkipLocalsInit]
    private static Vector256<float> Q8_0PaddedStep(Vector256<float> acc, byte* wb, byte* xTail, int* sums, float* dx,
        int left, bool vbmi, bool inPlace)
    {
        byte* copy = stackalloc byte[8 * B8];
        byte* window = PaddedTail.Window(wb, left * B8, copy, inPlace);
        Vector256<int> live = PaddedTail.Live(left);
        Vector256<int> s = Reduce8(
            Q8Block(LoadW(window, 0), LoadX(xTail, 0)), Q8Block(LoadW(window, 1), LoadX(xTail, 1)),
            Q8Block(LoadW(window, 2), LoadX(xTail, 2)), Q8Block(LoadW(window, 3), LoadX(xTail, 3)),
            Q8Block(LoadW(window, 4), LoadX(xTail, 4)), Q8Block(LoadW(window, 5), LoadX(xTail, 5)),
            Q8Block(LoadW(window, 6), LoadX(xTail, 6)), Q8Block(LoadW(window, 7), LoadX(xTail, 7))) - Q8Offset(sums);
        Vector256<float> d = Scales8(window, B8, dx, vbmi) & live.AsSingle();
        return Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(s & live), acc);
    }

    /// <summary>
    /// Int32 lanes summing to Σ w·x over one block, plus 128·Σx when <see cref="PreferVnni256"/>: with AVX-VNNI the
    /// weights are biased to unsigned (w ⊕ 0x80 = w + 128) for one <c>vpdpbusd</c>, and the caller subtracts
    /// 128·Σx from the prepared block sums; without it, the exact sign-trick product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Q8Block(Vector256<sbyte> w, Vector256<sbyte> x) =>
        PreferVnni256
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, (w.AsByte() ^ Vector256.Create((byte)0x80)), x)
            : MulSumAvx2Only(w, x);

    /// <summary>The Q8_0 offset to subtract from <see cref="Q8Block"/> sums: 128·Σx with VNNI, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Q8Offset(int* sums) =>
        PreferVnni256 ? Vector256.Load(sums) << 7 : Vector256<int>.Zero;

    /// <summary>
    /// <paramref name="sum"/> plus blocks [0, <paramref name="nb"/>) one at a time (sign-trick product, horizontal sum).
    /// </summary>
    private static float Q8_0BlockTail(float sum, byte* w, byte* x, int nb)
    {
        for (int i = 0; i < nb; i++)
        {
            byte* wb = w + i * B8, xb = x + i * B8;
            sum += Vector256.Sum(MulSum(LoadW(wb, 0), LoadX(xb, 0))) * Scale(wb, xb);
        }
        return sum;
    }

    /// <summary>Eight int32 lanes: dots of 4 adjacent (unsigned q, signed y) byte pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> MulSumU(Vector256<byte> q, Vector256<sbyte> y) =>
        AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, q, y)
            : MulSumUAvx2Only(q, y);

    /// <summary><see cref="MulSumU"/> without AVX-VNNI; exact while every q ≤ 127 (Q4_0 nibbles are ≤ 15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> MulSumUAvx2Only(Vector256<byte> q, Vector256<sbyte> y) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q, y), Vector256.Create((short)1));

    /// <summary>Q4_0 block quants as 32 unsigned bytes 0..15 in element order (no −8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Nibbles(byte* w, int k)
    {
        // Broadcast the 16 bytes to both halves, shift the copy right by 4, keep the low half of one and the high half
        // of the other (vpblendd: no cross-lane shuffle), then mask.
        Vector256<byte> raw = Avx2.BroadcastVector128ToVector256(w + k * B4 + 2);
        Vector256<byte> shifted = (raw.AsUInt16() >> 4).AsByte();
        return Avx2.Blend(raw.AsInt32(), shifted.AsInt32(), 0xf0).AsByte() & Vector256.Create((byte)0x0f);
    }

    /// <summary>
    /// Q4_0 on 256 bits: the unsigned nibbles go straight into <c>vpdpbusd</c>/<c>vpmaddubsw</c> and the −8 offset is
    /// applied once per block as −8·Σq_x, from the block sums <see cref="Gemv.Prepare"/> stores after the Q8_0 blocks.
    /// </summary>
    private static float Q4_0Avx2(byte* w, byte* x, int nb) => Q4_0Avx2(w, x, nb, (int*)(x + nb * B8));

    /// <summary><paramref name="sums"/>: the block sums, followed by nb float scales.</summary>
    private static float Q4_0Avx2(byte* w, byte* x, int nb, int* sums)
    {
        float* dx = (float*)(sums + nb);
        Vector256<float> acc = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= nb; i += 8)
        {
            byte* wb = w + i * B4, xb = x + i * B8;
            Vector256<int> s = Reduce8(
                MulSumU(Nibbles(wb, 0), LoadX(xb, 0)), MulSumU(Nibbles(wb, 1), LoadX(xb, 1)),
                MulSumU(Nibbles(wb, 2), LoadX(xb, 2)), MulSumU(Nibbles(wb, 3), LoadX(xb, 3)),
                MulSumU(Nibbles(wb, 4), LoadX(xb, 4)), MulSumU(Nibbles(wb, 5), LoadX(xb, 5)),
                MulSumU(Nibbles(wb, 6), LoadX(xb, 6)), MulSumU(Nibbles(wb, 7), LoadX(xb, 7)));
            s -= Vector256.Load(sums + i) << 3;
            acc = Fma.MultiplyAdd(Scales8(wb, B4, dx + i, vbmi: false), Avx.ConvertToVector256Single(s), acc);
        }
        return Vector256.Sum(acc) + Q4_0Tail(w + i * B4, x + i * B8, nb - i, sums + i);
    }

    /// <summary>Per-block Q4_0 loop for the last nb &lt; 8 blocks (no batched scales needed).</summary>
    internal static float Q4_0Tail(byte* w, byte* x, int nb, int* sums)
    {
        float sum = 0f;
        for (int i = 0; i < nb; i++)
        {
            byte* wb = w + i * B4, xb = x + i * B8;
            sum += (Vector256.Sum(MulSumU(Nibbles(wb, 0), LoadX(xb, 0))) - 8 * sums[i]) * Scale(wb, xb);
        }
        return sum;
    }

    /// <summary>
    /// Appends to a Q8_0 row of <paramref name="nb"/> blocks the int32 sum of each block's quants, then each block's
    /// scale as a float: the prepared layout the SIMD kernels read.
    /// </summary>
    internal static void StoreBlockSums(byte* xq, int nb)
    {
        int* sums = (int*)(xq + nb * B8);
        float* scales = (float*)(sums + nb);
        for (int i = 0; i < nb; i++)
        {
            scales[i] = Fp16.HalfToSingle(*(ushort*)(xq + i * B8));
            sbyte* q = (sbyte*)(xq + i * B8 + 2);
            int s = 0;
            for (int j = 0; j < 32; j++)
            {
                s += q[j];
            }
            sums[i] = s;
        }
    }

    /// <summary>Q8_0 on 512 bits: as <c>Q8_0Avx2</c>, with two blocks per 512-bit multiply.</summary>
    internal static float Q8_0Avx512(byte* w, byte* x, int nb)
    {
        const int bw = B8;
        bool vbmi = Vbmi;
        float* dx = (float*)(x + nb * (B8 + sizeof(int)));
        Vector256<float> acc = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= nb; i += 8)
        {
            byte* wb = w + i * bw, xb = x + i * B8;
            Vector512<int> p01 = MulSum(Vector512.Create(LoadW(wb, 0), LoadW(wb, 1)), Vector512.Create(LoadX(xb, 0), LoadX(xb, 1)));
            Vector512<int> p23 = MulSum(Vector512.Create(LoadW(wb, 2), LoadW(wb, 3)), Vector512.Create(LoadX(xb, 2), LoadX(xb, 3)));
            Vector512<int> p45 = MulSum(Vector512.Create(LoadW(wb, 4), LoadW(wb, 5)), Vector512.Create(LoadX(xb, 4), LoadX(xb, 5)));
            Vector512<int> p67 = MulSum(Vector512.Create(LoadW(wb, 6), LoadW(wb, 7)), Vector512.Create(LoadX(xb, 6), LoadX(xb, 7)));
            Vector256<int> s = Reduce8(p01.GetLower(), p01.GetUpper(), p23.GetLower(), p23.GetUpper(),
                                       p45.GetLower(), p45.GetUpper(), p67.GetLower(), p67.GetUpper());
            acc = Fma.MultiplyAdd(Scales8(wb, bw, dx + i, vbmi), Avx.ConvertToVector256Single(s), acc);
        }
        return Q8_0BlockTail(Vector256.Sum(acc), w + i * bw, x + i * B8, nb - i);
    }

    /// <summary>Q4_0 on 512 bits: two blocks of unsigned nibbles per <c>vpmaddubsw</c>, offset as in <c>Q4_0Avx2</c>.</summary>
    internal static float Q4_0Avx512(byte* w, byte* x, int nb)
    {
        bool vbmi = Vbmi;
        int* sums = (int*)(x + nb * B8);
        float* dx = (float*)(sums + nb);
        Vector256<float> acc = Vector256<float>.Zero;
        Vector512<short> ones = Vector512.Create((short)1);
        int i = 0;
        for (; i + 8 <= nb; i += 8)
        {
            byte* wb = w + i * B4, xb = x + i * B8;
            Vector512<int> p01 = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(
                Vector512.Create(Nibbles(wb, 0), Nibbles(wb, 1)), Vector512.Create(LoadX(xb, 0), LoadX(xb, 1))), ones);
            Vector512<int> p23 = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(
                Vector512.Create(Nibbles(wb, 2), Nibbles(wb, 3)), Vector512.Create(LoadX(xb, 2), LoadX(xb, 3))), ones);
            Vector512<int> p45 = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(
                Vector512.Create(Nibbles(wb, 4), Nibbles(wb, 5)), Vector512.Create(LoadX(xb, 4), LoadX(xb, 5))), ones);
            Vector512<int> p67 = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(
                Vector512.Create(Nibbles(wb, 6), Nibbles(wb, 7)), Vector512.Create(LoadX(xb, 6), LoadX(xb, 7))), ones);
            Vector256<int> s = Reduce8(p01.GetLower(), p01.GetUpper(), p23.GetLower(), p23.GetUpper(),
                                       p45.GetLower(), p45.GetUpper(), p67.GetLower(), p67.GetUpper());
            s -= Vector256.Load(sums + i) << 3;
            acc = Fma.MultiplyAdd(Scales8(wb, B4, dx + i, vbmi), Avx.ConvertToVector256Single(s), acc);
        }
        float sum = Vector256.Sum(acc);
        return i < nb ? sum + Q4_0Tail(w + i * B4, x + i * B8, nb - i, sums + i) : sum;
    }
}
