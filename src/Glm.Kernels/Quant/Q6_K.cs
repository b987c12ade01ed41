using System.Runtime.InteropServices;

namespace Glm.Kernels.Quant;

/// <summary>
/// Q6_K rows (ggml <c>block_q6_K</c>, 210 bytes per 256 values; layout on <see cref="BlockQ6_K"/>). Row lengths must
/// be multiples of 256; destinations are caller-owned and written fully. Stateless and thread-safe; nothing allocates
/// (scratch lives on the stack).
/// </summary>
public static class Q6_K
{
    public const int BlockSize = 256;
    public const int BlockBytes = 210;
    private const float GroupMaxEps = 1e-15f;

    /// <summary>Bytes needed for <paramref name="n"/> values.</summary>
    public static int RowBytes(int n) => GgmlTypes.RowBytes(GgmlType.Q6_K, n);

    /// <summary>
    /// ggml <c>quantize_row_q6_K_ref</c> (no importance weights): per sub-block of 16 a least-squares scale search
    /// (<c>make_qx_quants</c>, nmax 32, weights x²), the 16 scales quantized to int8 against d = max/−128, then the
    /// quants recomputed from the rounded scales. Arithmetic is plain IEEE float in C's evaluation order; a ggml build
    /// that contracts multiply-adds into FMA can differ in rare last-bit ties.
    /// </summary>
    public static unsafe void QuantizeReference(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int nb = QuantMath.CheckRow(x.Length, BlockSize, BlockBytes, dst.Length, nameof(x));
        Span<BlockQ6_K> y = MemoryMarshal.Cast<byte, BlockQ6_K>(dst);
        Span<sbyte> l = stackalloc sbyte[BlockSize];
        Span<float> scales = stackalloc float[BlockSize / 16];
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockSize, BlockSize);
            float maxScale = 0f, maxAbsScale = 0f;
            for (int ib = 0; ib < BlockSize / 16; ib++)
            {
                float scale = MakeQxQuants(xb.Slice(16 * ib, 16), l.Slice(16 * ib, 16));
                scales[ib] = scale;
                float abs = MathF.Abs(scale);
                if (abs > maxAbsScale)
                {
                    maxAbsScale = abs;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < GroupMaxEps)
            {
                dst.Slice(i * BlockBytes, BlockBytes).Clear();
                continue;
            }
            float iscale = -128f / maxScale;
            y[i].D = Fp16.SingleToHalf(1 / iscale);
            for (int ib = 0; ib < BlockSize / 16; ib++)
            {
                y[i].Scales[ib] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * scales[ib]));
            }
            for (int j = 0; j < BlockSize / 16; j++)
            {
                float d = Fp16.HalfToSingle(y[i].D) * y[i].Scales[j];
                if (d == 0f)
                {
                    continue;
                }
                for (int ii = 0; ii < 16; ii++)
                {
                    int q = QuantMath.NearestInt(xb[16 * j + ii] / d);
                    l[16 * j + ii] = (sbyte)(Math.Max(-32, Math.Min(31, q)) + 32);
                }
            }
            for (int h = 0; h < 2; h++)
            {
                int j = h * 128;
                for (int k = 0; k < 32; k++)
                {
                    int q1 = l[j + k] & 0xf, q2 = l[j + k + 32] & 0xf, q3 = l[j + k + 64] & 0xf, q4 = l[j + k + 96] & 0xf;
                    y[i].Ql[h * 64 + k] = (byte)(q1 | (q3 << 4));
                    y[i].Ql[h * 64 + k + 32] = (byte)(q2 | (q4 << 4));
                    y[i].Qh[h * 32 + k] = (byte)((l[j + k] >> 4) | ((l[j + k + 32] >> 4) << 2)
                        | ((l[j + k + 64] >> 4) << 4) | ((l[j + k + 96] >> 4) << 6));
                }
            }
        }
    }

    /// <summary>ggml <c>make_qx_quants(16, 32, x, L, rmse_type = 1, NULL)</c>; L gets l + 32.</summary>
    private static float MakeQxQuants(ReadOnlySpan<float> x, Span<sbyte> l)
    {
        const int nmax = 32;
        int n = x.Length;
        float max = 0f, amax = 0f;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax)
            {
                amax = ax;
                max = x[i];
            }
        }
        if (amax < GroupMaxEps)
        {
            l.Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0f, suml2 = 0f;
        for (int i = 0; i < n; i++)
        {
            int q = Math.Max(-nmax, Math.Min(nmax - 1, QuantMath.NearestInt(iscale * x[i])));
            l[i] = (sbyte)(q + nmax);
            float w = x[i] * x[i];
            sumlx += w * x[i] * q;
            suml2 += w * q * q;
        }
        float scale = suml2 != 0f ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int s = -9; s <= 9; s++)
        {
            if (s == 0)
            {
                continue;
            }
            iscale = -(nmax + 0.1f * s) / max;
            sumlx = suml2 = 0f;
            for (int i = 0; i < n; i++)
            {
                int q = Math.Max(-nmax, Math.Min(nmax - 1, QuantMath.NearestInt(iscale * x[i])));
                float w = x[i] * x[i];
                sumlx += w * x[i] * q;
                suml2 += w * q * q;
            }
            if (suml2 > 0f && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; i++)
                {
                    int q = QuantMath.NearestInt(iscale * x[i]);
                    l[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, q)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /// <summary>ggml <c>dequantize_row_q6_K</c>: <paramref name="dst"/>.Length values from <paramref name="src"/>.</summary>
    public static unsafe void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.CheckRow(dst.Length, BlockSize, BlockBytes, src.Length, nameof(dst));
        ReadOnlySpan<BlockQ6_K> x = MemoryMarshal.Cast<byte, BlockQ6_K>(src);
        for (int i = 0; i < nb; i++)
        {
            BlockQ6_K b = x[i];
            float d = Fp16.HalfToSingle(b.D);
            Span<float> y = dst.Slice(i * BlockSize, BlockSize);
            for (int h = 0; h < 2; h++)
            {
                for (int k = 0; k < 32; k++)
                {
                    int s = h * 8 + k / 16;
                    byte ql0 = b.Ql[h * 64 + k], ql1 = b.Ql[h * 64 + k + 32], qh = b.Qh[h * 32 + k];
                    int q1 = ((ql0 & 0xf) | ((qh & 3) << 4)) - 32;
                    int q2 = ((ql1 & 0xf) | (((qh >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql0 >> 4) | (((qh >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql1 >> 4) | (((qh >> 6) & 3) << 4)) - 32;
                    y[h * 128 + k] = d * b.Scales[s] * q1;
                    y[h * 128 + k + 32] = d * b.Scales[s + 2] * q2;
                    y[h * 128 + k + 64] = d * b.Scales[s + 4] * q3;
                    y[h * 128 + k + 96] = d * b.Scales[s + 6] * q4;
                }
            }
        }
    }
}
