using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Glm.Training.Training;

/// <summary>The machine's matmul ceiling, against which model FLOPs utilisation (MFU) is reported.</summary>
public static class Throughput
{
    /// <summary>
    /// Measures float32 matrix-multiply FLOP/s with libtorch on the current thread count (or on the GPU): square
    /// products of size n (1024 on the CPU, 8192 on a GPU), repeated for about <paramref name="seconds"/> after a
    /// warm-up; the best of three rounds.
    /// </summary>
    public static double MeasurePeakMatmulFlops(Device? device = null, double seconds = 0.4)
    {
        using var scope = NewDisposeScope();
        bool gpu = device is { type: DeviceType.CUDA };
        int n = gpu ? 8192 : 1024;
        var a = randn(n, n, device: device);
        var b = randn(n, n, device: device);
        mm(a, b).Dispose();
        if (gpu) cuda.synchronize();
        double best = 0;
        for (int round = 0; round < 3; round++)
        {
            int iterations = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds / 3 || iterations < 2)
            {
                mm(a, b).Dispose();
                iterations++;
                if (gpu) cuda.synchronize();
            }
            best = Math.Max(best, 2.0 * n * n * n * iterations / clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
