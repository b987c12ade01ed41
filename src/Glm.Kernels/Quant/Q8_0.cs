using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Glm.Kernels.Quant;

/// <summary>
/// Q8_0 rows (ggml <c>block_q8_0</c>, 34 bytes per 32 values). Row lengths must be multiples of 32; destinations are
/// caller-owned and written fully. Stateless and thread-safe; nothing allocates.
/// </summary>
public static class Q8_0
{
    public const int BlockSize = 32;
    public const int BlockBytes = 34;

    /// <summary>Bytes needed for <paramref name="n"/> values.</summary>
    public static int RowBytes(int n) => GgmlTypes.RowBytes(GgmlType.Q8_0, n);

    /// <summary>ggml <c>quantize_row_q8_0_ref</c>, bit for bit: d = amax/127, q = roundf(x/d).</summary>
    public static unsafe void QuantizeReference(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int nb = QuantMath.CheckRow(x.Length, BlockSize, BlockBytes, dst.Length, nameof(x));
        Span<BlockQ8_0> y = MemoryMarshal.Cast<byte, BlockQ8_0>(dst);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockSize, BlockSize);
            float amax = 0f;
            for (int j = 0; j < BlockSize; j++)
            {
                amax = MathF.Max(amax, MathF.Abs(xb[j]));
            }
            float d = amax / 127;
            float id = d != 0f ? 1.0f / d : 0f;
            y[i].D = Fp16.SingleToHalf(d);
            for (int j = 0; j < BlockSize; j++)
            {
                y[i].Qs[j] = (sbyte)QuantMath.RoundAway(xb[j] * id);
            }
        }
    }

    /// <summary>
    /// Vectorized quantizer for activations; produces exactly the bytes of <see cref="QuantizeReference"/>.
    /// </summary>
    public static unsafe void Quantize(ReadOnlySpan<float> x, Span<byte> dst)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            QuantizeReference(x, dst);
            return;
        }
        int nb = QuantMath.CheckRow(x.Length, BlockSize, BlockBytes, dst.Length, nameof(x));
        fixed (float* px = x)
        fixed (byte* py = dst)
        {
            for (int i = 0; i < nb; i++)
            {
                float* xb = px + i * BlockSize;
                byte* yb = py + i * BlockBytes;
                Vector256<float> v0 = Vector256.Load(xb), v1 = Vector256.Load(xb + 8);
                Vector256<float> v2 = Vector256.Load(xb + 16), v3 = Vector256.Load(xb + 24);
                Vector256<float> m = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)),
                                                   Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
                Vector128<float> h = Vector128.Max(m.GetLower(), m.GetUpper());
                float amax = MathF.Max(MathF.Max(h[0], h[1]), MathF.Max(h[2], h[3]));
                float d = amax / 127;
                float id = d != 0f ? 1.0f / d : 0f;
                *(ushort*)yb = Fp16.SingleToHalf(d);
                Vector256<float> vid = Vector256.Create(id);
                Vector256<int> q0 = Vector256.ConvertToInt32(QuantMath.RoundAway(v0 * vid));
                Vector256<int> q1 = Vector256.ConvertToInt32(QuantMath.RoundAway(v1 * vid));
                Vector256<int> q2 = Vector256.ConvertToInt32(QuantMath.RoundAway(v2 * vid));
                Vector256<int> q3 = Vector256.ConvertToInt32(QuantMath.RoundAway(v3 * vid));
                Vector256<sbyte> q = Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3));
                q.Store((sbyte*)(yb + 2));
            }
        }
    }

    /// <summary>ggml <c>dequantize_row_q8_0</c>: <paramref name="dst"/>.Length values from <paramref name="src"/>.</summary>
    public static unsafe void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.CheckRow(dst.Length, BlockSize, BlockBytes, src.Length, nameof(dst));
        ReadOnlySpan<BlockQ8_0> x = MemoryMarshal.Cast<byte, BlockQ8_0>(src);
        for (int i = 0; i < nb; i++)
        {
            float d = Fp16.HalfToSingle(x[i].D);
            BlockQ8_0 b = x[i];
            for (int j = 0; j < BlockSize; j++)
            {
                dst[i * BlockSize + j] = b.Qs[j] * d;
            }
        }
    }
}
