using Glm.Kernels.Quant;

namespace Glm.Inference.Loading;

/// <summary>
/// A 2-D weight matrix [Rows, Cols] (row-major, rows of <see cref="Cols"/> values in <see cref="Type"/>) used in place
/// from a memory-mapped checkpoint: <see cref="Data"/> points into the mapping, nothing is copied. Valid only while
/// the <see cref="GlmModelFile"/> that made it is open. Immutable; reads are thread-safe.
/// </summary>
public readonly unsafe struct WeightTensor
{
    public WeightTensor(string name, GgmlType type, nint data, long byteLength, int rows, int cols)
    {
        Name = name;
        Type = type;
        Data = data;
        ByteLength = byteLength;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The tensor's name in its file (for error messages).</summary>
    public string Name { get; }

    public GgmlType Type { get; }

    /// <summary>Address of the first row in the mapping.</summary>
    public nint Data { get; }

    public long ByteLength { get; }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Bytes of one row.</summary>
    public long RowBytes => GgmlTypes.RowBytes(Type, Cols);

    /// <summary>True when the whole tensor fits one span (under 2 GiB).</summary>
    public bool FitsSpan => ByteLength <= int.MaxValue;

    /// <summary><paramref name="count"/> rows from <paramref name="row"/> as bytes; the range must stay under 2 GiB.</summary>
    public ReadOnlySpan<byte> RowRange(int row, int count) =>
        new((byte*)Data + row * RowBytes, checked((int)(count * RowBytes)));

    /// <summary>Dequantizes (or widens) row <paramref name="row"/> into <paramref name="destination"/> (Cols floats).</summary>
    public void ReadRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"{Name} has {Rows} rows");
        }
        RowCodec.Dequantize(Type, RowRange(row, 1), destination[..Cols]);
    }
}
