using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Glm.Core;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// Reads GGUF header fields from mapped memory, checking every read against the file length. Errors are
/// <see cref="GlmException"/>s naming the file, the byte position and what was being read (<see cref="Context"/>).
/// Does not own the memory. Little-endian only.
/// </summary>
internal sealed unsafe class GgufCursor(string path, byte* start, long length)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public string Path { get; } = path;
    public long Length { get; } = length;
    public long Position { get; private set; }

    /// <summary>What is being read, for error messages, e.g. <c>metadata key 'general.name'</c>.</summary>
    public string Context { get; set; } = "the header";

    public long Remaining => Length - Position;

    public GlmException Error(string problem) => new($"GGUF file {Path}: {Context}: {problem}");

    public ReadOnlySpan<byte> Take(long count)
    {
        if (count < 0 || count > Remaining)
            throw new GlmException($"GGUF file {Path}: truncated while reading {Context}: needs {count} bytes at offset " +
                $"{Position} but the file is {Length} bytes");
        if (count > int.MaxValue) throw Error($"a {count}-byte field is too large");
        var span = new ReadOnlySpan<byte>(start + Position, (int)count);
        Position += count;
        return span;
    }

    public byte ReadU8() => Take(1)[0];
    public ushort ReadU16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public uint ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public ulong ReadU64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    public float ReadF32() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));
    public double ReadF64() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    /// <summary>A count (u64) of items each at least <paramref name="minItemBytes"/> long, checked against the bytes left.</summary>
    public int ReadCount(string what, int minItemBytes)
    {
        ulong count = ReadU64();
        if (count > (ulong)Array.MaxLength || (long)count * minItemBytes > Remaining)
            throw Error($"{what} count {count} cannot fit in the {Remaining} bytes left of the {Length}-byte file; the file is truncated or corrupt");
        return (int)count;
    }

    public string ReadString()
    {
        ulong length = ReadU64();
        if (length > (ulong)Remaining)
            throw Error($"string length {length} runs past the end of the {Length}-byte file; the file is truncated or corrupt");
        var bytes = Take((long)length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error("string is not valid UTF-8");
        }
    }

    public GgufValue ReadValue(uint type) => (GgufValueType)type switch
    {
        GgufValueType.UInt8 => GgufValue.UInt8(ReadU8()),
        GgufValueType.Int8 => GgufValue.Int8((sbyte)ReadU8()),
        GgufValueType.UInt16 => GgufValue.UInt16(ReadU16()),
        GgufValueType.Int16 => GgufValue.Int16((short)ReadU16()),
        GgufValueType.UInt32 => GgufValue.UInt32(ReadU32()),
        GgufValueType.Int32 => GgufValue.Int32((int)ReadU32()),
        GgufValueType.Float32 => GgufValue.Float32(ReadF32()),
        GgufValueType.Bool => GgufValue.Bool(ReadBool()),
        GgufValueType.String => GgufValue.String(ReadString()),
        GgufValueType.UInt64 => GgufValue.UInt64(ReadU64()),
        GgufValueType.Int64 => GgufValue.Int64((long)ReadU64()),
        GgufValueType.Float64 => GgufValue.Float64(ReadF64()),
        GgufValueType.Array => ReadArray(),
        _ => throw Error($"unknown metadata value type {type} (GGUF defines 0..12)"),
    };

    private bool ReadBool()
    {
        byte value = ReadU8();
        return value switch
        {
            0 => false,
            1 => true,
            _ => throw Error($"bool value is {value}, not 0 or 1"),
        };
    }

    private GgufValue ReadArray()
    {
        uint elementType = ReadU32();
        return (GgufValueType)elementType switch
        {
            GgufValueType.UInt8 => GgufValue.Of(GgufValueType.UInt8, Numbers<byte>()),
            GgufValueType.Int8 => GgufValue.Of(GgufValueType.Int8, Numbers<sbyte>()),
            GgufValueType.UInt16 => GgufValue.Of(GgufValueType.UInt16, Numbers<ushort>()),
            GgufValueType.Int16 => GgufValue.Of(GgufValueType.Int16, Numbers<short>()),
            GgufValueType.UInt32 => GgufValue.Of(GgufValueType.UInt32, Numbers<uint>()),
            GgufValueType.Int32 => GgufValue.Of(GgufValueType.Int32, Numbers<int>()),
            GgufValueType.Float32 => GgufValue.Of(GgufValueType.Float32, Numbers<float>()),
            GgufValueType.UInt64 => GgufValue.Of(GgufValueType.UInt64, Numbers<ulong>()),
            GgufValueType.Int64 => GgufValue.Of(GgufValueType.Int64, Numbers<long>()),
            GgufValueType.Float64 => GgufValue.Of(GgufValueType.Float64, Numbers<double>()),
            GgufValueType.Bool => GgufValue.Of(GgufValueType.Bool, Items(1, ReadBool)),
            GgufValueType.String => GgufValue.Of(GgufValueType.String, Items(8, ReadString)),
            GgufValueType.Array => GgufValue.Of(GgufValueType.Array, Items(12, ReadArray)),
            _ => throw Error($"unknown array element type {elementType} (GGUF defines 0..12)"),
        };
    }

    private T[] Numbers<T>() where T : unmanaged
    {
        int count = ReadCount("array", sizeof(T));
        return MemoryMarshal.Cast<byte, T>(Take((long)count * sizeof(T))).ToArray();
    }

    private T[] Items<T>(int minItemBytes, Func<T> read)
    {
        int count = ReadCount("array", minItemBytes);
        var items = new T[count];
        for (int i = 0; i < count; i++) items[i] = read();
        return items;
    }
}
