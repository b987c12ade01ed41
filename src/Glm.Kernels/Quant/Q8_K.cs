using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Glm.Kernels.Quant;

/// <summary>
/// Q8_K rows (ggml <c>block_q8_K</c>, 292 bytes per 256 values): the activation format the k-quant dot products use.
/// Row lengths must be multiples of 256. Stateless and thread-safe; nothing allocates.
/// </summary>
public static class Q8_K
{
    public const int BlockSize = 256;
    public const int BlockBytes = 292;

    /// <summary>Bytes needed for <paramref name="n"/> values.</summary>
    public static int RowBytes(int n) => GgmlTypes.RowBytes(GgmlType.Q8_K, n);

    /// <summary>
    /// ggml <c>quantize_row_q8_K_ref</c>: iscale = −127/max (max = signed value of largest magnitude),
    /// q = min(127, nearest_int(iscale·x)), d = 1/iscale, plus the 16 group sums. An all-zero block is all zero.
    /// </summary>
    public static unsafe void QuantizeReference(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int nb = QuantMath.CheckRow(x.Length, BlockSize, BlockBytes, dst.Length, nameof(x));
        Span<BlockQ8_K> y = MemoryMarshal.Cast<byte, BlockQ8_K>(dst);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockSize, BlockSize);
            float max = 0f, amax = 0f;
            for (int j = 0; j < BlockSize; j++)
            {
                float ax = MathF.Abs(xb[j]);
                if (ax > amax)
                {
                    amax = ax;
                    max = xb[j];
                }
            }
            if (amax == 0f)
            {
                dst.Slice(i * BlockBytes, BlockBytes).Clear();
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < BlockSize; j++)
            {
                y[i].Qs[j] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * xb[j]));
            }
            for (int j = 0; j < BlockSize / 16; j++)
            {
                int sum = 0;
                for (int k = 0; k < 16; k++)
                {
                    sum += y[i].Qs[j * 16 + k];
                }
                y[i].BSums[j] = (short)sum;
            }
            y[i].D = 1 / iscale;
        }
    }

    /// <summary>Vectorized quantizer for activations; produces exactly the bytes of <see cref="QuantizeReference"/>.</summary>
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
                BlockQ8_K* yb = (BlockQ8_K*)(py + i * BlockBytes);
                float amax = QuantMath.MaxAbs(new ReadOnlySpan<float>(xb, BlockSize));
                if (amax == 0f)
                {
                    new Span<byte>(yb, BlockBytes).Clear();
                    continue;
                }
                float max = 0f;
                for (int j = 0; j < BlockSize; j++)
                {
                    if (MathF.Abs(xb[j]) == amax)
                    {
                        max = xb[j];
                        break;
                    }
                }
                float iscale = -127f / max;
                Vector256<float> vs = Vector256.Create(iscale);
                Vector256<int> lim = Vector256.Create(127);
                for (int j = 0; j < BlockSize; j += 32)
                {
                    Vector256<int> q0 = Vector256.Min(lim, Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xb + j) * vs)));
                    Vector256<int> q1 = Vector256.Min(lim, Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xb + j + 8) * vs)));
                    Vector256<int> q2 = Vector256.Min(lim, Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xb + j + 16) * vs)));
                    Vector256<int> q3 = Vector256.Min(lim, Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xb + j + 24) * vs)));
                    yb->BSums[j / 16] = (short)Vector256.Sum(q0 + q1);
                    yb->BSums[j / 16 + 1] = (short)Vector256.Sum(q2 + q3);
                    Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3)).Store(yb->Qs + j);
                }
                yb->D = 1 / iscale;
            }
        }
    }

    /// <summary>Values d·q; <paramref name="dst"/>.Length values from <paramref name="src"/>.</summary>
    public static unsafe void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.CheckRow(dst.Length, BlockSize, BlockBytes, src.Length, nameof(dst));
        ReadOnlySpan<BlockQ8_K> x = MemoryMarshal.Cast<byte, BlockQ8_K>(src);
        for (int i = 0; i < nb; i++)
        {
            BlockQ8_K b = x[i];
            for (int j = 0; j < BlockSize; j++)
            {
                dst[i * BlockSize + j] = b.D * b.Qs[j];
            }
        }
    }
}
