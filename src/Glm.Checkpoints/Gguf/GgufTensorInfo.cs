using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// One tensor's entry in a GGUF file. Data is little-endian; for quantized types it is a sequence of blocks along each
/// row (the innermost dimension).
/// </summary>
/// <param name="Name">The GGUF tensor name, e.g. <c>blk.0.attn_qkv.weight</c>.</param>
/// <param name="Type">Element type.</param>
/// <param name="Dims">Dimensions in GGUF order, innermost first (<c>ne0, ne1, …</c>): an HF <c>[out, in]</c> weight is
/// <c>[in, out]</c> here. Shared, do not modify.</param>
/// <param name="Offset">Start of the data in bytes relative to the file's data section (<see cref="GgufFile.DataOffset"/>).</param>
/// <param name="ByteLength">Bytes of data: rows x (row length / block size) x bytes per block.</param>
public sealed record GgufTensorInfo(string Name, GgmlType Type, long[] Dims, long Offset, long ByteLength)
{
    /// <summary>Dimensions in PyTorch / row-major order, outermost first: <see cref="Dims"/> reversed.</summary>
    public long[] Shape
    {
        get
        {
            var shape = (long[])Dims.Clone();
            System.Array.Reverse(shape);
            return shape;
        }
    }

    /// <summary>Number of elements: the product of <see cref="Dims"/> (1 for a scalar).</summary>
    public long ElementCount => Dims.Aggregate(1L, (product, dim) => product * dim);

    /// <summary>The dimensions as GGUF tools print them, e.g. <c>[4096, 4608]</c>.</summary>
    public string DimsText => "[" + string.Join(", ", Dims) + "]";
}
