using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Glm.Checkpoints.Safetensors;

/// <summary>
/// Builds a safetensors file: add named tensors and metadata, then <see cref="Write"/>. The output matches what the
/// Python library writes for the same tensors, byte for byte: compact JSON header with <c>__metadata__</c> first,
/// padded with spaces to a multiple of 8 bytes, tensors laid out by descending dtype alignment then by name
/// (ordinal), so every tensor stays aligned to its element size.
/// </summary>
/// <remarks>
/// Memory: each Add keeps a converted copy of the tensor until the writer is dropped, so the whole file is held in
/// memory once; one tensor must be under 2 GiB. Not thread-safe; use one writer per thread.
/// </remarks>
public sealed class SafetensorsWriter
{
    private readonly Dictionary<string, Entry> _tensors = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _metadata = new(StringComparer.Ordinal);

    private sealed record Entry(string Name, DType DType, long[] Shape, byte[] Data);

    /// <summary>Number of tensors added so far.</summary>
    public int Count => _tensors.Count;

    /// <summary>
    /// Adds float32 <paramref name="values"/> to be stored as <paramref name="dtype"/> (F32 exactly, F16 or BF16
    /// rounded to nearest even). <paramref name="values"/> holds the product of <paramref name="shape"/> elements in
    /// row-major order; it is copied, so the caller may reuse it.
    /// </summary>
    public SafetensorsWriter Add(string name, DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<float> values)
    {
        if (!DTypes.IsFloat32Convertible(dtype))
            throw new ArgumentException($"tensor '{name}': float values can be stored as F32, F16 or BF16, not {dtype}", nameof(dtype));
        long count = CheckShape(name, shape, values.Length);
        var data = new byte[count * DTypes.SizeOf(dtype)];
        FloatConversions.Encode(dtype, values, data);
        return Put(name, dtype, shape, data);
    }

    /// <summary>
    /// Adds a tensor given as raw little-endian bytes of <paramref name="dtype"/>; <paramref name="data"/> holds exactly
    /// the product of <paramref name="shape"/> x element size bytes and is copied.
    /// </summary>
    public SafetensorsWriter AddRaw(string name, DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data)
    {
        int size = DTypes.SizeOf(dtype);
        if (data.Length % size != 0)
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes is not a whole number of {dtype} elements", nameof(data));
        CheckShape(name, shape, data.Length / size);
        return Put(name, dtype, shape, data.ToArray());
    }

    /// <summary>Sets a <c>__metadata__</c> entry (written sorted by key), e.g. <c>("format", "pt")</c>.</summary>
    public SafetensorsWriter SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
        return this;
    }

    /// <summary>
    /// Writes the file to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>): a crash leaves either the
    /// previous file or the complete new one. The writer can be written again or extended afterwards.
    /// </summary>
    public void Write(string path)
    {
        var layout = _tensors.Values
            .OrderByDescending(t => t.DType)
            .ThenBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
        byte[] header = BuildHeader(layout);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var tensor in layout) stream.Write(tensor.Data);
        });
    }

    private byte[] BuildHeader(List<Entry> layout)
    {
        using var buffer = new MemoryStream();
        // serde_json escapes only quotes, backslashes and control characters; the relaxed encoder comes closest.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in _metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in layout)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToString());
                json.WriteStartArray("shape");
                foreach (long dim in tensor.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private SafetensorsWriter Put(string name, DType dtype, ReadOnlySpan<long> shape, byte[] data)
    {
        if (!_tensors.TryAdd(name, new Entry(name, dtype, shape.ToArray(), data)))
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        return this;
    }

    private static long CheckShape(string name, ReadOnlySpan<long> shape, long elements)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == SafetensorsHeader.MetadataKey)
            throw new ArgumentException($"'{SafetensorsHeader.MetadataKey}' is reserved for metadata", nameof(name));
        long count = 1;
        foreach (long dim in shape)
        {
            if (dim < 0) throw new ArgumentException($"tensor '{name}' has a negative dimension {dim}", nameof(shape));
            count = checked(count * dim);
        }
        if (count != elements)
            throw new ArgumentException($"tensor '{name}' has shape [{string.Join(", ", shape.ToArray())}] = {count} elements but {elements} were given");
        return count;
    }
}
