using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

public class QuantRoundTripTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(256)]
    [InlineData(4096)]
    public void Q8_0_ErrorWithinHalfStep(int n)
    {
        float[] x = TestUtil.Gaussian(n, n);
        var q = new byte[Q8_0.RowBytes(n)];
        Q8_0.QuantizeReference(x, q);
        var back = new float[n];
        Q8_0.Dequantize(q, back);
        for (int b = 0; b < n / 32; b++)
        {
            float amax = x.AsSpan(b * 32, 32).ToArray().Max(MathF.Abs);
            float step = amax / 127;
            for (int j = b * 32; j < b * 32 + 32; j++)
            {
                // Half a step for rounding plus the fp16 rounding of d (relative 2^-11) times |q| ≤ 127.
                Assert.True(MathF.Abs(x[j] - back[j]) <= 0.5f * step + 127 * step / 2048 + 1e-7f, $"j={j}");
            }
        }
    }

    [Theory]
    [InlineData(32)]
    [InlineData(4096)]
    public void Q4_0_ErrorWithinOneStep(int n)
    {
        float[] x = TestUtil.Gaussian(n, n + 1);
        var q = new byte[Q4_0.RowBytes(n)];
        Q4_0.QuantizeReference(x, q);
        var back = new float[n];
        Q4_0.Dequantize(q, back);
        for (int b = 0; b < n / 32; b++)
        {
            float step = x.AsSpan(b * 32, 32).ToArray().Max(MathF.Abs) / 8;
            for (int j = b * 32; j < b * 32 + 32; j++)
            {
                // Rounding is half a step except at the clamped positive end (one step).
                Assert.True(MathF.Abs(x[j] - back[j]) <= step * 1.01f, $"j={j}");
            }
        }
    }

    [Theory]
    [InlineData(256)]
    [InlineData(4096)]
    public void Q6_K_RelativeRmsErrorIsSmall(int n)
    {
        float[] x = TestUtil.Gaussian(n, n + 2);
        var q = new byte[Q6_K.RowBytes(n)];
        Q6_K.QuantizeReference(x, q);
        var back = new float[n];
        Q6_K.Dequantize(q, back);
        double se = 0, ss = 0;
        for (int j = 0; j < n; j++)
        {
            se += (x[j] - back[j]) * (x[j] - back[j]);
            ss += x[j] * x[j];
            // Worst case: half a sub-block step (amax/32 per sub-block ≤ 5σ/32) plus the scale's own rounding.
            Assert.True(MathF.Abs(x[j] - back[j]) < 0.15f, $"j={j}: {x[j]} vs {back[j]}");
        }
        Assert.True(Math.Sqrt(se / ss) < 0.03, $"relative rms error {Math.Sqrt(se / ss)}");
    }

    [Theory]
    [InlineData(256)]
    [InlineData(2048)]
    public void Q8_K_VectorQuantizerMatchesReferenceAndErrorIsHalfStep(int n)
    {
        float[] x = TestUtil.Gaussian(n, n + 3);
        x[5] = 0.5f * x[7]; // a few exact ties relative to the scale are likely with random data; also check sign of max
        var r = new byte[Q8_K.RowBytes(n)];
        var f = new byte[r.Length];
        Q8_K.QuantizeReference(x, r);
        Q8_K.Quantize(x, f);
        Assert.Equal(r, f);
        var back = new float[n];
        Q8_K.Dequantize(r, back);
        for (int b = 0; b < n / 256; b++)
        {
            float d = MathF.Abs(BitConverter.ToSingle(r, b * 292));
            for (int j = b * 256; j < b * 256 + 256; j++)
            {
                Assert.True(MathF.Abs(x[j] - back[j]) <= 0.5001f * d, $"j={j}");
            }
        }
    }

    [Fact]
    public void Q8_0_VectorQuantizerMatchesReferenceOnTies()
    {
        // Values that land exactly on .5 after scaling test round-half-away-from-zero in the vector path.
        const int n = 32 * 40;
        var x = new float[n];
        var rng = new Random(7);
        for (int i = 0; i < n; i++)
        {
            x[i] = i % 32 == 0 ? 127 : (rng.Next(-254, 255) * 0.5f);
        }
        float[] g = TestUtil.Gaussian(n, 9);
        foreach (float[] input in new[] { x, g })
        {
            var r = new byte[Q8_0.RowBytes(n)];
            var f = new byte[r.Length];
            Q8_0.QuantizeReference(input, r);
            Q8_0.Quantize(input, f);
            Assert.Equal(r, f);
        }
    }
}
