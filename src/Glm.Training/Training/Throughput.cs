using System.Diagnostics;
using static TorchSharp.torch;

namespace Glm.Training.Training;

/// <summary>The machine's matmul ceiling, against which model FLOPs utilisation (MFU) is reported.</summary>
public static class Throughput
{
    /// <summary>
    /// Measures float32 matrix-multiply FLOP/s with libtorch on the current thread count: square products of size
    /// <paramref name="n"/>, repeated for about <paramref name="seconds"/> after a warm-up; the best of three rounds.
    /// </summary>
    public static double MeasurePeakMatmulFlops(int n = 1024, double seconds = 0.4)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        mm(a, b).Dispose();
        double best = 0;
        for (int round = 0; round < 3; round++)
        {
            int iterations = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds / 3 || iterations < 2)
            {
                mm(a, b).Dispose();
                iterations++;
            }
            best = Math.Max(best, 2.0 * n * n * n * iterations / clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
