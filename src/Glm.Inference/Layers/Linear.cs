using Glm.Inference.Loading;
using Glm.Kernels.Dot;

namespace Glm.Inference.Layers;

/// <summary>
/// <c>y = x·Wᵀ (+ b)</c> for T activation rows through the kernels' <see cref="MatMul"/> (weights used in place, any
/// supported type). Tensors of 2 GiB or more (an F32 GLM-4 output layer) are run in row slices. Allocates nothing.
/// </summary>
internal static class Linear
{
    /// <summary>Scratch bytes <see cref="Apply"/> needs for <paramref name="w"/> and up to <paramref name="tokens"/> rows.</summary>
    public static int ScratchBytes(in WeightTensor w, int tokens) => MatMul.ScratchBytes(w.Type, w.Cols, tokens);

    /// <summary>
    /// x: [T, Cols]; y: [T, Rows] (row-major, t·Rows + r); bias: Rows values or null.
    /// </summary>
    public static void Apply(MatMul matMul, in WeightTensor w, ReadOnlySpan<float> x, int tokens, Span<float> y,
        float[]? bias, Span<byte> scratch)
    {
        int rows = w.Rows, cols = w.Cols;
        if (w.FitsSpan)
        {
            matMul.Gemm(w.Type, w.RowRange(0, rows), rows, cols, x, tokens, y, scratch);
        }
        else
        {
            // One token at a time, in slices of rows that fit a span; Gemv writes y[r] for r in the slice.
            int slice = (int)(int.MaxValue / w.RowBytes);
            for (int t = 0; t < tokens; t++)
            {
                for (int r0 = 0; r0 < rows; r0 += slice)
                {
                    int n = Math.Min(slice, rows - r0);
                    matMul.Gemv(w.Type, w.RowRange(r0, n), n, cols, x.Slice(t * cols, cols), y.Slice(t * rows + r0, n), scratch);
                }
            }
        }
        if (bias is not null)
        {
            for (int t = 0; t < tokens; t++)
            {
                Kernels.Ops.Elementwise.Add(y.Slice(t * rows, rows), bias, y.Slice(t * rows, rows));
            }
        }
    }
}
