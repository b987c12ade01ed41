using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Dot;

/// <summary>
/// Q6_K·Q8_K dot products over <c>nb</c> super-blocks of 256 (ggml <c>ggml_vec_dot_q6_K_q8_K</c>). Per super-block the
/// exact int32 sum of <c>scale[j] · Σ (q6 − 32) · q8</c>, then <c>sum += d6 · d8 · that</c> in float. The −32 offset is
/// applied once through the Q8_K group sums. V256: AVX2 <c>vpmaddubsw</c> on the unsigned 6-bit quants then
/// <c>vpmaddwd</c> by the sub-block scales; V512 does two 32-value groups per register. Nothing allocates.
/// </summary>
internal static unsafe class DotQ6K
{
    private const int BW = Q6_K.BlockBytes;
    private const int BX = Q8_K.BlockBytes;

    public static float Reference(byte* w, byte* x, int nb)
    {
        float sum = 0f;
        for (int i = 0; i < nb; i++)
        {
            BlockQ6_K* a = (BlockQ6_K*)(w + i * BW);
            BlockQ8_K* b = (BlockQ8_K*)(x + i * BX);
            int total = 0;
            for (int e = 0; e < 256; e++)
            {
                int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
                byte ql = a->Ql[h * 64 + l + 32 * (g & 1)];
                int lo = g < 2 ? ql & 0xf : ql >> 4;
                int hi = (a->Qh[h * 32 + l] >> (2 * g)) & 3;
                total += a->Scales[e / 16] * ((lo | (hi << 4)) - 32) * b->Qs[e];
            }
            sum += Fp16.HalfToSingle(a->D) * b->D * total;
        }
        return sum;
    }

    public static float Q6_KDot(byte* w, byte* x, int nb, SimdPath path) => path switch
    {
        SimdPath.V512 => Avx512(w, x, nb),
        SimdPath.V256 => Avx2Path(w, x, nb),
        _ => Reference(w, x, nb),
    };

    /// <summary>Σ_j scales[j] · bsums[j]: the part of the dot the −32 offset removes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OffsetSum(BlockQ6_K* a, BlockQ8_K* b)
    {
        Vector256<short> sc = Vector256.WidenLower(Vector128.Load(a->Scales).ToVector256Unsafe());
        Vector256<short> bs = Vector256.Load(b->BSums);
        return Vector256.Sum(Avx2.MultiplyAddAdjacent(sc, bs));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Group(Vector256<byte> q, sbyte* q8, sbyte scLo, sbyte scHi)
    {
        Vector256<short> p = Avx2.MultiplyAddAdjacent(q, Vector256.Load(q8));
        Vector256<short> s = Vector256.Create(Vector128.Create((short)scLo), Vector128.Create((short)scHi));
        return Avx2.MultiplyAddAdjacent(p, s);
    }

    private static float Avx2Path(byte* w, byte* x, int nb)
    {
        float sum = 0f;
        Vector256<byte> m4 = Vector256.Create((byte)0x0f), m30 = Vector256.Create((byte)0x30);
        for (int i = 0; i < nb; i++)
        {
            BlockQ6_K* a = (BlockQ6_K*)(w + i * BW);
            BlockQ8_K* b = (BlockQ8_K*)(x + i * BX);
            Vector256<int> acc = Vector256<int>.Zero;
            for (int h = 0; h < 2; h++)
            {
                Vector256<byte> qlA = Vector256.Load(a->Ql + h * 64), qlB = Vector256.Load(a->Ql + h * 64 + 32);
                Vector256<ushort> qh = Vector256.Load(a->Qh + h * 32).AsUInt16();
                Vector256<byte> q1 = (qlA & m4) | ((qh << 4).AsByte() & m30);
                Vector256<byte> q2 = (qlB & m4) | ((qh << 2).AsByte() & m30);
                Vector256<byte> q3 = ((qlA.AsUInt16() >> 4).AsByte() & m4) | (qh.AsByte() & m30);
                Vector256<byte> q4 = ((qlB.AsUInt16() >> 4).AsByte() & m4) | ((qh >> 2).AsByte() & m30);
                sbyte* q8 = b->Qs + h * 128;
                sbyte* sc = a->Scales + h * 8;
                acc += Group(q1, q8, sc[0], sc[1]) + Group(q2, q8 + 32, sc[2], sc[3])
                     + Group(q3, q8 + 64, sc[4], sc[5]) + Group(q4, q8 + 96, sc[6], sc[7]);
            }
            sum += Fp16.HalfToSingle(a->D) * b->D * (Vector256.Sum(acc) - 32 * OffsetSum(a, b));
        }
        return sum;
    }

    private static float Avx512(byte* w, byte* x, int nb)
    {
        float sum = 0f;
        Vector512<byte> m4 = Vector512.Create((byte)0x0f), m30 = Vector512.Create((byte)0x30);
        // Lane k of the 32 int16 pair sums covers values 2k, 2k+1, i.e. sub-block k / 8 of the 64 values.
        Vector512<short> idx = Vector512.Create(
            (short)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        for (int i = 0; i < nb; i++)
        {
            BlockQ6_K* a = (BlockQ6_K*)(w + i * BW);
            BlockQ8_K* b = (BlockQ8_K*)(x + i * BX);
            Vector512<int> acc = Vector512<int>.Zero;
            Vector512<short> sc16 = Vector512.WidenLower(Vector128.Load(a->Scales).ToVector256Unsafe().ToVector512Unsafe());
            for (int h = 0; h < 2; h++)
            {
                Vector512<byte> ql = Vector512.Load(a->Ql + h * 64);
                Vector256<ushort> qh = Vector256.Load(a->Qh + h * 32).AsUInt16();
                Vector512<byte> hiLo = Vector512.Create((qh << 4).AsByte(), (qh << 2).AsByte()) & m30;
                Vector512<byte> hiHi = Vector512.Create(qh.AsByte(), (qh >> 2).AsByte()) & m30;
                Vector512<byte> qa = (ql & m4) | hiLo;
                Vector512<byte> qb = ((ql.AsUInt16() >> 4).AsByte() & m4) | hiHi;
                sbyte* q8 = b->Qs + h * 128;
                Vector512<short> sa = Avx512BW.PermuteVar32x16(sc16, idx + Vector512.Create((short)(h * 8)));
                Vector512<short> sb = Avx512BW.PermuteVar32x16(sc16, idx + Vector512.Create((short)(h * 8 + 4)));
                acc += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(qa, Vector512.Load(q8)), sa)
                     + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(qb, Vector512.Load(q8 + 64)), sb);
            }
            sum += Fp16.HalfToSingle(a->D) * b->D * (Vector512.Sum(acc) - 32 * OffsetSum(a, b));
        }
        return sum;
    }
}
