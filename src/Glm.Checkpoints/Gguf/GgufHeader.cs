using Glm.Core;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// Parses and validates a GGUF header (magic, version, metadata, tensor infos) and works out where the data section
/// starts. The layout (little-endian): <c>"GGUF"</c>, version u32, tensor count u64, metadata count u64, the metadata
/// (key string, type u32, value), the tensor infos (name string, n_dims u32, dims u64 innermost first, type u32,
/// offset u64), zero padding to the alignment, then the data section; strings are a u64 byte length and UTF-8 bytes.
/// </summary>
internal static class GgufHeader
{
    /// <summary>"GGUF" read as a little-endian u32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>The version this code writes; 2 has the same layout and is read too.</summary>
    public const uint Version = 3;

    public const string AlignmentKey = "general.alignment";

    /// <summary>Alignment of the data section and of every tensor when <see cref="AlignmentKey"/> is absent.</summary>
    public const int DefaultAlignment = 32;

    /// <summary>ggml tensors have at most 4 dimensions.</summary>
    public const int MaxDims = 4;

    public sealed record Parsed(uint Version, GgufMetadata Metadata, IReadOnlyList<GgufTensorInfo> Tensors, int Alignment, long DataOffset);

    public static unsafe Parsed Parse(string path, byte* file, long length)
    {
        var cursor = new GgufCursor(path, file, length);
        if (length < 4) throw new GlmException($"GGUF file {path}: file is {length} bytes, too short to hold the magic");
        uint magic = cursor.ReadU32();
        if (magic != Magic)
            throw new GlmException($"GGUF file {path}: bad magic 0x{magic:X8} (expected \"GGUF\"); this is not a GGUF file");
        uint version = cursor.ReadU32();
        if (version is not (2 or 3))
        {
            string hint = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(version) is 2 or 3
                ? "; the file is big-endian, which GlmSharp does not read"
                : version == 1 ? "; version 1 predates 64-bit counts: convert it again with a current llama.cpp" : "";
            throw new GlmException($"GGUF file {path}: unsupported version {version} (reads 2 and 3){hint}");
        }
        int tensorCount = cursor.ReadCount("tensor", 8 + 4 + 4 + 8);
        int metadataCount = cursor.ReadCount("metadata", 8 + 4);

        var entries = new List<KeyValuePair<string, GgufValue>>(metadataCount);
        for (int i = 0; i < metadataCount; i++)
        {
            cursor.Context = $"metadata entry {i}";
            string key = cursor.ReadString();
            cursor.Context = $"metadata key '{key}'";
            uint type = cursor.ReadU32();
            entries.Add(new(key, cursor.ReadValue(type)));
        }
        var metadata = new GgufMetadata($"GGUF file {path}", entries);
        int alignment = ReadAlignment(path, metadata);

        var tensors = new List<GgufTensorInfo>(tensorCount);
        for (int i = 0; i < tensorCount; i++)
        {
            cursor.Context = $"tensor info {i}";
            string name = cursor.ReadString();
            cursor.Context = $"tensor '{name}'";
            tensors.Add(ReadTensorInfo(cursor, name));
        }

        long dataOffset = Align(cursor.Position, alignment);
        if (tensorCount > 0 && dataOffset > length)
            throw new GlmException($"GGUF file {path}: the data section would start at {dataOffset}, past the end of the " +
                $"{length}-byte file; the file is truncated");
        CheckLayout(path, tensors, alignment, length - Math.Min(dataOffset, length));
        return new Parsed(version, metadata, tensors, alignment, dataOffset);
    }

    public static long Align(long offset, int alignment) => (offset + alignment - 1) / alignment * alignment;

    private static int ReadAlignment(string path, GgufMetadata metadata)
    {
        if (!metadata.TryGetValue(AlignmentKey, out var value)) return DefaultAlignment;
        if (value.Type != GgufValueType.UInt32)
            throw new GlmException($"GGUF file {path}: metadata key '{AlignmentKey}' is {value.TypeName}, expected uint32");
        uint alignment = (uint)value.Raw;
        if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > 1 << 20)
            throw new GlmException($"GGUF file {path}: '{AlignmentKey}' is {alignment}; it must be a power of two up to 1 MiB");
        return (int)alignment;
    }

    private static GgufTensorInfo ReadTensorInfo(GgufCursor cursor, string name)
    {
        uint dimCount = cursor.ReadU32();
        if (dimCount > MaxDims) throw cursor.Error($"has {dimCount} dimensions; ggml allows at most {MaxDims}");
        var dims = new long[dimCount];
        for (int d = 0; d < dims.Length; d++)
        {
            ulong dim = cursor.ReadU64();
            if (dim > long.MaxValue) throw cursor.Error($"dimension {d} is {dim}, out of range");
            dims[d] = (long)dim;
        }
        uint typeId = cursor.ReadU32();
        if (!GgmlTypes.IsKnown(typeId)) throw cursor.Error($"unknown ggml type {typeId}");
        var type = (GgmlType)typeId;
        ulong offset = cursor.ReadU64();
        if (offset > long.MaxValue) throw cursor.Error($"offset {offset} is out of range");
        long byteLength;
        try
        {
            byteLength = GgmlTypes.ByteLength(type, dims);
        }
        catch (ArgumentException e)
        {
            throw cursor.Error($"dims [{string.Join(", ", dims)}] do not fit type {type}: {e.Message}");
        }
        catch (OverflowException)
        {
            throw cursor.Error($"dims [{string.Join(", ", dims)}] of type {type} are too large");
        }
        return new GgufTensorInfo(name, type, dims, (long)offset, byteLength);
    }

    private static void CheckLayout(string path, List<GgufTensorInfo> tensors, int alignment, long dataLength)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            if (!seen.Add(tensor.Name)) throw new GlmException($"GGUF file {path}: tensor '{tensor.Name}' appears twice");
            if (tensor.Offset % alignment != 0)
                throw new GlmException($"GGUF file {path}: tensor '{tensor.Name}' has offset {tensor.Offset}, which is " +
                    $"misaligned (not a multiple of the alignment {alignment})");
            if (tensor.ByteLength > dataLength - tensor.Offset)
                throw new GlmException($"GGUF file {path}: tensor '{tensor.Name}' ({tensor.ByteLength} bytes at offset " +
                    $"{tensor.Offset}) runs past the end of the {dataLength}-byte data section; the file is truncated or corrupt");
        }
        GgufTensorInfo? previous = null;
        foreach (var tensor in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.Offset))
        {
            if (previous is not null && tensor.Offset < previous.Offset + previous.ByteLength)
                throw new GlmException($"GGUF file {path}: tensor '{tensor.Name}' at offset {tensor.Offset} overlaps " +
                    $"tensor '{previous.Name}' ({previous.ByteLength} bytes at offset {previous.Offset})");
            previous = tensor;
        }
    }
}
