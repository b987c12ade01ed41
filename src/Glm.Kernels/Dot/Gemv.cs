using System.Runtime.InteropServices;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Dot;

/// <summary>
/// Matrix-vector products over a row range: <c>y[r] = dot(W row r, x)</c> for r in [rowStart, rowEnd), W row-major with
/// <c>cols</c> values per row in its ggml type (GGUF <c>ne0 = cols</c>). The activation is "prepared" once per call by
/// <see cref="Prepare"/> (Q8_0 plus per-block sums and float scales for Q8_0/Q4_0 weights, Q8_K for Q6_K, the floats
/// themselves for F32/F16/BF16; size from <see cref="PreparedBytes"/>) so that several threads can share it, as ggml
/// does with its vec_dot_type. <c>y</c> is indexed by absolute row. Every entry point takes a <see cref="SimdPath"/>;
/// <see cref="SimdPath.Scalar"/> runs the scalar Reference kernels. Nothing allocates; stateless and thread-safe for
/// disjoint row ranges.
/// </summary>
public static unsafe class Gemv
{
    /// <summary>The format the activation is prepared in for weights of <paramref name="weightType"/>.</summary>
    public static GgmlType ActivationType(GgmlType weightType) => weightType switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => GgmlType.F32,
        GgmlType.Q8_0 or GgmlType.Q4_0 => GgmlType.Q8_0,
        GgmlType.Q6_K => GgmlType.Q8_K,
        _ => throw new ArgumentOutOfRangeException(nameof(weightType), weightType, "No dot kernel for this type."),
    };

    /// <summary>
    /// Bytes of one prepared activation row of <paramref name="cols"/> values. For Q8_0/Q4_0 weights that is the Q8_0
    /// row followed by one int32 per block (the sum of its quants, which the Q4_0 kernels use for the −8 offset), then
    /// one float per block (its scale, so the kernels need not convert it for every weight row); for Q4_0 weights then
    /// the quants again in the order the 512-bit kernel multiplies nibbles in
    /// (<see cref="DotQ4.StoreQ4Order(byte*, int, byte*)"/>), for Q8_0 weights the last nb mod 8 blocks again,
    /// zero-padded to 8 (<see cref="DotQ8.StoreTail"/>).
    /// </summary>
    public static int PreparedBytes(GgmlType weightType, int cols)
    {
        GgmlType a = ActivationType(weightType);
        int bytes = GgmlTypes.RowBytes(a, cols);
        int nb = cols / 32;
        return a != GgmlType.Q8_0 ? bytes
            : bytes + nb * (sizeof(int) + sizeof(float))
              + (weightType == GgmlType.Q4_0 ? DotQ4.OrderBytes(nb) : DotQ8.TailBytes(nb));
    }

    /// <summary>
    /// Writes what follows the <paramref name="nb"/> Q8_0 blocks of a prepared row at <paramref name="p"/>, from them:
    /// block sums and scales, then the Q4 order (Q4_0 weights) or the padded tail (Q8_0 weights).
    /// </summary>
    internal static void CompleteQ8(GgmlType weightType, byte* p, int nb)
    {
        DotQ8.StoreBlockSums(p, nb);
        byte* after = p + nb * (Q8_0.BlockBytes + sizeof(int) + sizeof(float));
        if (weightType == GgmlType.Q4_0)
        {
            DotQ4.StoreQ4Order(p, nb, after);
        }
        else
        {
            DotQ8.StoreTail(p, nb, after);
        }
    }

    /// <summary>Quantizes (or copies) <paramref name="x"/> into <paramref name="prepared"/> (caller-owned scratch).</summary>
    public static void Prepare(GgmlType weightType, ReadOnlySpan<float> x, Span<byte> prepared)
    {
        switch (ActivationType(weightType))
        {
            case GgmlType.Q8_0:
                if (prepared.Length < PreparedBytes(weightType, x.Length))
                {
                    throw new ArgumentException("Prepared buffer is too short.", nameof(prepared));
                }
                Q8_0.Quantize(x, prepared);
                fixed (byte* p = prepared)
                {
                    CompleteQ8(weightType, p, x.Length / 32);
                }
                break;
            case GgmlType.Q8_K:
                Q8_K.Quantize(x, prepared);
                break;
            default:
                MemoryMarshal.AsBytes(x).CopyTo(prepared);
                break;
        }
    }

    /// <summary>
    /// <c>y[r] = dot(W row r, x)</c> for r in [<paramref name="rowStart"/>, <paramref name="rowEnd"/>), on the chosen
    /// instruction-set path (<see cref="SimdPath.Scalar"/> runs the Reference kernels).
    /// </summary>
    public static void Rows(GgmlType weightType, ReadOnlySpan<byte> w, int cols, ReadOnlySpan<byte> prepared,
        Span<float> y, int rowStart, int rowEnd, SimdPath path)
    {
        int rowBytes = GgmlTypes.RowBytes(weightType, cols);
        if (rowStart < 0 || rowEnd < rowStart || rowEnd > y.Length || (long)rowEnd * rowBytes > w.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(rowEnd), "Row range exceeds the weights or the output.");
        }
        if (prepared.Length < PreparedBytes(weightType, cols))
        {
            throw new ArgumentException("Prepared activation is too short.", nameof(prepared));
        }
        if (!SimdPaths.IsSupported(path))
        {
            throw new PlatformNotSupportedException($"SIMD path {path} is not supported here.");
        }
        fixed (byte* pw = w)
        fixed (byte* px = prepared)
        fixed (float* py = y)
        {
            RowsCore(weightType, pw, cols, px, py, rowStart, rowEnd, path);
        }
    }

    /// <summary>Unchecked core of <see cref="Rows"/>; pointers must be pinned and large enough.</summary>
    internal static void RowsCore(GgmlType type, byte* w, int cols, byte* x, float* y, int r0, int r1, SimdPath path)
    {
        long rowBytes = GgmlTypes.RowBytes(type, cols);
        if (type == GgmlType.Q4_0 && path == SimdPath.V512 && DotQ4.Supported)
        {
            DotQ4.Rows(w, rowBytes, x, cols / 32, y, r0, r1);
            return;
        }
        if (type == GgmlType.Q8_0 && path != SimdPath.Scalar)
        {
            DotQ8.Q8_0Rows(w, rowBytes, x, cols / 32, y, r0, r1, path);
            return;
        }
        for (int r = r0; r < r1; r++)
        {
            y[r] = DotRow(type, w + r * rowBytes, cols, x, path);
        }
    }

    /// <summary>One dot product of a weight row with a prepared activation row.</summary>
    internal static float DotRow(GgmlType type, byte* row, int cols, byte* x, SimdPath path) => type switch
    {
        GgmlType.F32 => path == SimdPath.Scalar
            ? DotFloat.F32Reference((float*)row, (float*)x, cols)
            : DotFloat.F32((float*)row, (float*)x, cols),
        GgmlType.F16 => DotFloat.F16((ushort*)row, (float*)x, cols, path),
        GgmlType.BF16 => DotFloat.BF16((ushort*)row, (float*)x, cols, path),
        GgmlType.Q8_0 => DotQ8.Q8_0Dot(row, x, cols / 32, path),
        GgmlType.Q4_0 => DotQ8.Q4_0Dot(row, x, cols / 32, path),
        GgmlType.Q6_K => DotQ6K.Q6_KDot(row, x, cols / 256, path),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "No dot kernel for this type."),
    };
}
