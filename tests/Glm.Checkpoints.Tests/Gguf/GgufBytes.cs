using System.Buffers.Binary;
using System.Text;

namespace Glm.Checkpoints.Tests.Gguf;

/// <summary>Assembles GGUF bytes by hand, field by field, little-endian, straight from the format description.</summary>
internal sealed class GgufBytes
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public GgufBytes Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public GgufBytes U8(byte value) => Raw(value);

    public GgufBytes U16(ushort value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        return Raw(b);
    }

    public GgufBytes U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Raw(b);
    }

    public GgufBytes U64(ulong value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Raw(b);
    }

    public GgufBytes F32(float value) => U32(BitConverter.SingleToUInt32Bits(value));

    public GgufBytes F64(double value) => U64(BitConverter.DoubleToUInt64Bits(value));

    public GgufBytes Str(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return U64((ulong)utf8.Length).Raw(utf8);
    }

    /// <summary>"GGUF", version, tensor count, metadata count.</summary>
    public GgufBytes Header(ulong tensors, ulong keys, uint version = 3) =>
        Raw((byte)'G', (byte)'G', (byte)'U', (byte)'F').U32(version).U64(tensors).U64(keys);

    /// <summary>A tensor info: name, n_dims, dims (innermost first), type, offset.</summary>
    public GgufBytes TensorInfo(string name, uint type, ulong offset, params ulong[] dims)
    {
        Str(name).U32((uint)dims.Length);
        foreach (ulong dim in dims) U64(dim);
        return U32(type).U64(offset);
    }

    public GgufBytes PadTo(int alignment)
    {
        while (_bytes.Count % alignment != 0) _bytes.Add(0);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];
}
