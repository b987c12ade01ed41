using System.Text.Json;

namespace Glm.Checkpoints.Safetensors;

/// <summary>
/// Parses and validates the JSON header of a safetensors file as strictly as the reference (Rust) implementation:
/// known dtypes, shape x dtype size = byte length, and offsets that tile the data buffer exactly (no overlap, no gap,
/// no trailing bytes). Every error is a <see cref="Core.GlmException"/> that names the file and the tensor.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>The reference implementation refuses larger headers too.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    public sealed record Parsed(IReadOnlyDictionary<string, TensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata);

    /// <param name="file">Path for messages.</param>
    /// <param name="header">The N header bytes (UTF-8 JSON, possibly padded with spaces).</param>
    /// <param name="dataLength">Bytes in the data buffer: file length - 8 - N.</param>
    public static Parsed Parse(string file, ReadOnlySpan<byte> header, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException e)
        {
            throw Error(file, $"header is not valid JSON ({e.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Error(file, $"header is a JSON {document.RootElement.ValueKind}, not an object");
            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (sawMetadata) throw Error(file, $"header has {MetadataKey} twice");
                    sawMetadata = true;
                    ReadMetadata(file, property.Value, metadata);
                    continue;
                }
                var info = ReadTensor(file, property.Name, property.Value);
                if (!tensors.TryAdd(info.Name, info)) throw Error(file, $"tensor '{info.Name}' appears twice in the header");
            }
            CheckLayout(file, tensors.Values, dataLength);
            return new Parsed(tensors, metadata);
        }
    }

    private static void ReadMetadata(string file, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(file, $"{MetadataKey} must be an object of strings, got a JSON {value.ValueKind}");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Error(file, $"{MetadataKey} entry '{entry.Name}' must be a string, got a JSON {entry.Value.ValueKind}");
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static TensorInfo ReadTensor(string file, string name, JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw Error(file, $"tensor '{name}' entry is a JSON {entry.ValueKind}, not an object");

        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Error(file, $"tensor '{name}' has no dtype string");
        string dtypeText = dtypeElement.GetString()!;
        if (!DTypes.TryParse(dtypeText, out var dtype))
            throw Error(file, $"tensor '{name}' has unknown dtype '{dtypeText}'");

        long[] shape = ReadIntegers(file, name, entry, "shape");
        long[] offsets = ReadIntegers(file, name, entry, "data_offsets");
        if (offsets.Length != 2)
            throw Error(file, $"tensor '{name}' data_offsets must be [begin, end], got {offsets.Length} numbers");
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw Error(file, $"tensor '{name}' data_offsets [{begin}, {end}] end before they begin");

        long expected;
        try
        {
            expected = DTypes.SizeOf(dtype);
            foreach (long dim in shape) expected = checked(expected * dim);
        }
        catch (OverflowException)
        {
            throw Error(file, $"tensor '{name}' shape [{string.Join(", ", shape)}] overflows a 64-bit byte count");
        }
        if (expected != end - begin)
            throw Error(file, $"tensor '{name}' has shape [{string.Join(", ", shape)}] of {dtype} = {expected} bytes, " +
                $"but data_offsets [{begin}, {end}] hold {end - begin}");
        return new TensorInfo(name, dtype, shape, begin, end - begin);
    }

    private static long[] ReadIntegers(string file, string name, JsonElement entry, string field)
    {
        if (!entry.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Error(file, $"tensor '{name}' has no {field} array");
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
                throw Error(file, $"tensor '{name}' {field} holds {item.GetRawText()}, not a non-negative integer");
            values[i++] = value;
        }
        return values;
    }

    /// <summary>Offsets must tile [0, dataLength) exactly, in some order, like the reference implementation requires.</summary>
    private static void CheckLayout(string file, IEnumerable<TensorInfo> tensors, long dataLength)
    {
        var ordered = tensors.OrderBy(t => t.ByteOffset).ThenBy(t => t.ByteLength).ToList();
        foreach (var t in ordered)
        {
            if (t.ByteOffset + t.ByteLength > dataLength)
                throw Error(file, $"tensor '{t.Name}' data_offsets [{t.ByteOffset}, {t.ByteOffset + t.ByteLength}] run past " +
                    $"the end of the data buffer ({dataLength} bytes); the file is truncated or the header is wrong");
        }
        long position = 0;
        TensorInfo? previous = null;
        foreach (var t in ordered)
        {
            if (t.ByteOffset < position)
                throw Error(file, $"tensor '{t.Name}' data_offsets [{t.ByteOffset}, {t.ByteOffset + t.ByteLength}] overlap " +
                    $"tensor '{previous!.Name}' [{previous.ByteOffset}, {position}]");
            if (t.ByteOffset > position)
                throw Error(file, $"tensor '{t.Name}' starts at byte {t.ByteOffset} of the data buffer, but the tensors before " +
                    $"it end at {position} (a gap the format does not allow)");
            position = t.ByteOffset + t.ByteLength;
            previous = t;
        }
        if (position != dataLength)
            throw Error(file, $"the tensors cover {position} bytes but the data buffer has {dataLength} (trailing bytes)");
    }

    private static Core.GlmException Error(string file, string problem) => new($"safetensors file {file}: {problem}");
}
