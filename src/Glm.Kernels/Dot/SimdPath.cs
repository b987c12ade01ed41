using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Glm.Kernels.Dot;

/// <summary>Which instruction-set path a kernel runs. Every path computes the same math (see the Reference kernels).</summary>
public enum SimdPath
{
    /// <summary>Portable scalar code (the Reference kernels); runs everywhere.</summary>
    Scalar = 0,

    /// <summary>256-bit: AVX2 + FMA for the integer kernels, Vector256 for the float kernels.</summary>
    V256 = 1,

    /// <summary>512-bit: AVX-512 F/BW for the integer kernels, Vector512 for the float kernels.</summary>
    V512 = 2,
}

/// <summary>What this machine supports, decided once at startup.</summary>
public static class SimdPaths
{
    /// <summary>True where <see cref="SimdPath.V256"/> can run.</summary>
    public static bool V256Supported { get; } = Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>True where <see cref="SimdPath.V512"/> can run.</summary>
    public static bool V512Supported { get; } =
        V256Supported && Avx512F.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>The widest supported path; what the dispatching entry points use.</summary>
    public static SimdPath Best { get; } = V512Supported ? SimdPath.V512 : V256Supported ? SimdPath.V256 : SimdPath.Scalar;

    /// <summary>True if <paramref name="path"/> can run on this machine.</summary>
    public static bool IsSupported(SimdPath path) => path switch
    {
        SimdPath.Scalar => true,
        SimdPath.V256 => V256Supported,
        SimdPath.V512 => V512Supported,
        _ => false,
    };
}
