using System.Numerics.Tensors;

namespace Glm.Kernels.Ops;

/// <summary>
/// Elementwise kernels of the ChatGLM2/3 / GLM-4 forward pass (glm-spec §2.3), fp32 throughout. The fast versions are
/// TensorPrimitives compositions (vectorized, AVX-512 where present); each has a scalar <c>Reference</c>. In-place use
/// (output span equal to an input span) is allowed where noted. Nothing allocates; stateless and thread-safe.
/// </summary>
public static class Elementwise
{
    /// <summary>
    /// RMSNorm: <c>y = w ⊙ x · rsqrt(mean(x²) + eps)</c>, float accumulation. <paramref name="y"/> may be <paramref name="x"/>.
    /// </summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float eps, Span<float> y)
    {
        Check(x.Length, w.Length, y.Length);
        if (x.Length == 0)
        {
            return;
        }
        int n = x.Length;
        float scale = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(x) / n + eps);
        TensorPrimitives.Multiply(x, scale, y[..n]);
        TensorPrimitives.Multiply(y[..n], w[..n], y[..n]);
    }

    public static void RmsNormReference(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float eps, Span<float> y)
    {
        Check(x.Length, w.Length, y.Length);
        float ss = 0f;
        for (int i = 0; i < x.Length; i++)
        {
            ss += x[i] * x[i];
        }
        float scale = 1f / MathF.Sqrt(ss / x.Length + eps);
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = w[i] * (x[i] * scale);
        }
    }

    /// <summary>Numerically stable softmax in place: <c>x = exp(x − max) / Σ exp(x − max)</c>.</summary>
    public static void Softmax(Span<float> x)
    {
        if (x.Length == 0)
        {
            return;
        }
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        TensorPrimitives.Multiply(x, 1f / TensorPrimitives.Sum(x), x);
    }

    public static void SoftmaxReference(Span<float> x)
    {
        if (x.Length == 0)
        {
            return;
        }
        float max = float.NegativeInfinity;
        foreach (float v in x)
        {
            max = MathF.Max(max, v);
        }
        float sum = 0f;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < x.Length; i++)
        {
            x[i] /= sum;
        }
    }

    /// <summary>
    /// SwiGLU on a fused gate/up vector: <c>y[i] = silu(gu[i]) · gu[ffn + i]</c> with ffn = gu.Length / 2 (the first
    /// half is the gate, glm-spec pitfall 4). <paramref name="y"/> has ffn values and may alias the first half of gu.
    /// </summary>
    public static void SwiGlu(ReadOnlySpan<float> gateUp, Span<float> y)
    {
        int ffn = CheckGlu(gateUp.Length, y.Length);
        Span<float> sig = stackalloc float[256];
        for (int i = 0; i < ffn; i += sig.Length)
        {
            int n = Math.Min(sig.Length, ffn - i);
            ReadOnlySpan<float> g = gateUp.Slice(i, n), u = gateUp.Slice(ffn + i, n);
            Span<float> s = sig[..n], o = y.Slice(i, n);
            TensorPrimitives.Sigmoid(g, s);
            TensorPrimitives.Multiply(g, s, o);
            TensorPrimitives.Multiply(o, u, o);
        }
    }

    public static void SwiGluReference(ReadOnlySpan<float> gateUp, Span<float> y)
    {
        int ffn = CheckGlu(gateUp.Length, y.Length);
        for (int i = 0; i < ffn; i++)
        {
            float g = gateUp[i];
            y[i] = g / (1f + MathF.Exp(-g)) * gateUp[ffn + i];
        }
    }

    /// <summary><c>y = a + b</c>; y may alias a or b.</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);

    /// <summary><c>y = a · s</c>; y may alias a.</summary>
    public static void Scale(ReadOnlySpan<float> a, float s, Span<float> y) => TensorPrimitives.Multiply(a, s, y);

    /// <summary><c>y += a · s</c> (axpy).</summary>
    public static void AddScaled(ReadOnlySpan<float> a, float s, Span<float> y) => TensorPrimitives.MultiplyAdd(a, s, y, y);

    private static void Check(int x, int w, int y)
    {
        if (w < x || y < x)
        {
            throw new ArgumentException("Weight and output spans must be at least as long as the input.");
        }
    }

    private static int CheckGlu(int gu, int y)
    {
        if (gu % 2 != 0 || y < gu / 2)
        {
            throw new ArgumentException("gateUp must have even length 2·ffn and y at least ffn values.");
        }
        return gu / 2;
    }
}
