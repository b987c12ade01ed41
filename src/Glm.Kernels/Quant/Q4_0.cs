using System.Runtime.InteropServices;

namespace Glm.Kernels.Quant;

/// <summary>
/// Q4_0 rows (ggml <c>block_q4_0</c>, 18 bytes per 32 values). Row lengths must be multiples of 32; destinations are
/// caller-owned and written fully. Stateless and thread-safe; nothing allocates.
/// </summary>
public static class Q4_0
{
    public const int BlockSize = 32;
    public const int BlockBytes = 18;

    /// <summary>Bytes needed for <paramref name="n"/> values.</summary>
    public static int RowBytes(int n) => GgmlTypes.RowBytes(GgmlType.Q4_0, n);

    /// <summary>
    /// ggml <c>quantize_row_q4_0_ref</c>, bit for bit: d = max/−8 where max is the signed value of largest magnitude
    /// (first one wins), q = min(15, (int8)(x/d + 8.5)).
    /// </summary>
    public static unsafe void QuantizeReference(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int nb = QuantMath.CheckRow(x.Length, BlockSize, BlockBytes, dst.Length, nameof(x));
        Span<BlockQ4_0> y = MemoryMarshal.Cast<byte, BlockQ4_0>(dst);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockSize, BlockSize);
            float amax = 0f, max = 0f;
            for (int j = 0; j < BlockSize; j++)
            {
                if (amax < MathF.Abs(xb[j]))
                {
                    amax = MathF.Abs(xb[j]);
                    max = xb[j];
                }
            }
            float d = max / -8;
            float id = d != 0f ? 1.0f / d : 0f;
            y[i].D = Fp16.SingleToHalf(d);
            for (int j = 0; j < BlockSize / 2; j++)
            {
                float x0 = xb[j] * id;
                float x1 = xb[j + BlockSize / 2] * id;
                int q0 = Math.Min(15, (int)(sbyte)(int)(x0 + 8.5f));
                int q1 = Math.Min(15, (int)(sbyte)(int)(x1 + 8.5f));
                y[i].Qs[j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    /// <summary>ggml <c>dequantize_row_q4_0</c>: <paramref name="dst"/>.Length values from <paramref name="src"/>.</summary>
    public static unsafe void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.CheckRow(dst.Length, BlockSize, BlockBytes, src.Length, nameof(dst));
        ReadOnlySpan<BlockQ4_0> x = MemoryMarshal.Cast<byte, BlockQ4_0>(src);
        for (int i = 0; i < nb; i++)
        {
            float d = Fp16.HalfToSingle(x[i].D);
            BlockQ4_0 b = x[i];
            for (int j = 0; j < BlockSize / 2; j++)
            {
                dst[i * BlockSize + j] = ((b.Qs[j] & 0x0f) - 8) * d;
                dst[i * BlockSize + j + BlockSize / 2] = ((b.Qs[j] >> 4) - 8) * d;
            }
        }
    }
}
