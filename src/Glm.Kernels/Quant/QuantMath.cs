using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Glm.Kernels.Quant;

/// <summary>Rounding helpers that reproduce ggml's reference quantizers bit for bit.</summary>
internal static class QuantMath
{
    /// <summary>ggml <c>nearest_int</c>: round half to even through the 1.5·2^23 trick; valid for |f| ≤ 4194303.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NearestInt(float f)
    {
        float v = f + 12582912f;
        return (BitConverter.SingleToInt32Bits(v) & 0x007fffff) - 0x00400000;
    }

    /// <summary>C <c>roundf</c>: round half away from zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundAway(float x) => MathF.Round(x, MidpointRounding.AwayFromZero);

    /// <summary>Round half away from zero, exactly like <c>roundf</c>, for 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundAway(Vector256<float> v)
    {
        Vector256<float> a = Vector256.Abs(v);
        Vector256<float> t = Vector256.Truncate(a);
        Vector256<float> up = Vector256.GreaterThanOrEqual(a - t, Vector256.Create(0.5f)) & Vector256.Create(1f);
        return Vector256.CopySign(t + up, v);
    }

    /// <summary>Largest absolute value of a span (0 for an empty span).</summary>
    public static float MaxAbs(ReadOnlySpan<float> x)
    {
        int i = 0;
        float m = 0f;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            ref float p = ref MemoryMarshal.GetReference(x);
            Vector256<float> acc = Vector256<float>.Zero;
            for (; i + 8 <= x.Length; i += 8)
            {
                acc = Vector256.Max(acc, Vector256.Abs(Vector256.LoadUnsafe(ref p, (nuint)i)));
            }
            Vector128<float> h = Vector128.Max(acc.GetLower(), acc.GetUpper());
            m = MathF.Max(MathF.Max(h[0], h[1]), MathF.Max(h[2], h[3]));
        }
        for (; i < x.Length; i++)
        {
            m = MathF.Max(m, MathF.Abs(x[i]));
        }
        return m;
    }

    /// <summary>Throws unless <paramref name="n"/> is a multiple of <paramref name="block"/> and dst is long enough.</summary>
    public static int CheckRow(int n, int block, int blockBytes, int dstBytes, string name)
    {
        if (n % block != 0)
        {
            throw new ArgumentException($"Length {n} is not a multiple of {block}.", name);
        }
        int nb = n / block;
        if (dstBytes < nb * blockBytes)
        {
            throw new ArgumentException($"Need {nb * blockBytes} bytes for {n} values, got {dstBytes}.", name);
        }
        return nb;
    }
}
