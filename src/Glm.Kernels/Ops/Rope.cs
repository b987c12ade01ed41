using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Glm.Kernels.Ops;

/// <summary>
/// Partial rotary position embedding with ADJACENT pairs (GPT-J style, llama.cpp ROPE_TYPE_NORM), as ChatGLM2/3 and
/// GLM-4 use it (glm-spec §2.3): for i &lt; rotDim/2 the pair (x[2i], x[2i+1]) is rotated by angle pos·θ_i with
/// θ_i = base^(−2i/rotDim); dims rotDim.. pass through. The angle is computed in double and rounded once, so large
/// positions stay accurate. <see cref="Apply"/> rotates four pairs per 256-bit step (portable Vector256 code) with a
/// scalar tail; <see cref="ApplyReference"/> is the scalar definition. Nothing allocates; stateless and thread-safe.
/// </summary>
public static class Rope
{
    /// <summary>
    /// Fills <paramref name="cos"/> and <paramref name="sin"/> (rotDim/2 values each) for one position; compute once per
    /// token and reuse for every head.
    /// </summary>
    public static void CosSin(int position, int rotDim, float theta, Span<float> cos, Span<float> sin)
    {
        if (rotDim <= 0 || rotDim % 2 != 0 || cos.Length < rotDim / 2 || sin.Length < rotDim / 2)
        {
            throw new ArgumentException("rotDim must be positive and even, and cos/sin hold rotDim/2 values.");
        }
        for (int i = 0; i < rotDim / 2; i++)
        {
            double angle = position * Math.Pow(theta, -2.0 * i / rotDim);
            cos[i] = (float)Math.Cos(angle);
            sin[i] = (float)Math.Sin(angle);
        }
    }

    /// <summary>
    /// Rotates each of the <paramref name="heads"/> heads of <paramref name="headDim"/> values in <paramref name="x"/>
    /// (head h at h·headDim) in place: the first 2·cos.Length dims, adjacent pairs.
    /// </summary>
    public static void Apply(Span<float> x, int heads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int pairs = cos.Length;
        if (sin.Length < pairs || 2 * pairs > headDim || x.Length < heads * headDim)
        {
            throw new ArgumentException("Shapes do not match: 2·pairs ≤ headDim, x holds heads·headDim values.");
        }
        int done = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Four pairs per step: out = x·[c0 c0 c1 c1 …] + swap(x)·[−s0 s0 −s1 s1 …]; the table vectors serve all heads.
            Vector256<int> dup = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
            Vector256<int> swap = Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6);
            Vector256<float> sign = Vector256.Create(-1f, 1f, -1f, 1f, -1f, 1f, -1f, 1f);
            ref float px = ref MemoryMarshal.GetReference(x);
            for (; done + 4 <= pairs; done += 4)
            {
                Vector256<float> c = Vector256.Shuffle(Vector128.Create(cos.Slice(done, 4)).ToVector256Unsafe(), dup);
                Vector256<float> sn = Vector256.Shuffle(Vector128.Create(sin.Slice(done, 4)).ToVector256Unsafe(), dup) * sign;
                for (int h = 0; h < heads; h++)
                {
                    nuint at = (nuint)(h * headDim + 2 * done);
                    Vector256<float> v = Vector256.LoadUnsafe(ref px, at);
                    (v * c + Vector256.Shuffle(v, swap) * sn).StoreUnsafe(ref px, at);
                }
            }
        }
        for (int h = 0; h < heads; h++)
        {
            Span<float> v = x.Slice(h * headDim, 2 * pairs);
            for (int i = done; i < pairs; i++)
            {
                float a = v[2 * i], b = v[2 * i + 1], c = cos[i], s = sin[i];
                v[2 * i] = a * c - b * s;
                v[2 * i + 1] = b * c + a * s;
            }
        }
    }

    /// <summary>Scalar reference: one head, angle computed inline (no table).</summary>
    public static void ApplyReference(Span<float> head, int position, int rotDim, float theta)
    {
        for (int i = 0; i < rotDim / 2; i++)
        {
            double angle = position * Math.Pow(theta, -2.0 * i / rotDim);
            float c = (float)Math.Cos(angle), s = (float)Math.Sin(angle);
            float a = head[2 * i], b = head[2 * i + 1];
            head[2 * i] = a * c - b * s;
            head[2 * i + 1] = b * c + a * s;
        }
    }
}
