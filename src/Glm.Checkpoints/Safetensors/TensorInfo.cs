namespace Glm.Checkpoints.Safetensors;

/// <summary>
/// One tensor's entry in a safetensors header. Data is contiguous, row-major (C order), little-endian.
/// </summary>
/// <param name="Name">The tensor's key in the header, e.g. <c>transformer.encoder.layers.0.input_layernorm.weight</c>.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar. Shared, do not modify.</param>
/// <param name="ByteOffset">Start of the data in bytes, relative to the start of the file's data buffer
/// (the header's <c>data_offsets[0]</c>), not to the start of the file.</param>
/// <param name="ByteLength">Length of the data in bytes: element count x <see cref="DTypes.SizeOf"/>.</param>
public sealed record TensorInfo(string Name, DType DType, long[] Shape, long ByteOffset, long ByteLength)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => ByteLength / DTypes.SizeOf(DType);

    /// <summary>The shape as the header writes it, e.g. <c>[4608, 4096]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
