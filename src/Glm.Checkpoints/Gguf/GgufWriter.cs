using System.Text;
using Glm.Checkpoints.Safetensors;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// Builds a GGUF (version 3) file: set metadata, add tensors, then <see cref="Write"/>. Metadata is written in the
/// order keys were first set, tensors in the order added; each tensor's data starts on a multiple of the alignment and
/// the data section is zero-padded after every tensor, as llama.cpp writes it.
/// </summary>
/// <remarks>
/// Shapes are given in PyTorch / row-major order (outermost first) and stored reversed (GGUF's innermost-first
/// <c>ne0, ne1, …</c>); the bytes are the same row-major data either way. Memory: <see cref="AddFloat32"/> and
/// <see cref="AddRaw"/> keep a copy of the tensor's bytes until the writer is dropped (one tensor under 2 GiB);
/// <see cref="AddDeferred"/> keeps nothing and asks for the bytes while writing, which is how large models convert.
/// Not thread-safe; use one writer per thread.
/// </remarks>
public sealed class GgufWriter
{
    /// <summary>ggml names hold at most 63 bytes (GGML_MAX_NAME is 64, with the terminating zero).</summary>
    public const int MaxTensorNameBytes = 63;

    private readonly Dictionary<string, GgufValue> _metadata = new(StringComparer.Ordinal);
    private readonly List<string> _keyOrder = [];
    private readonly List<Entry> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>A tensor to write: its bytes held (<paramref name="Data"/>) or produced at write time (<paramref name="Source"/>).</summary>
    private sealed record Entry(string Name, GgmlType Type, long[] Dims, long ByteLength, byte[]? Data, Action<Stream>? Source);

    /// <summary>
    /// A writer whose data section and tensors are aligned to <paramref name="alignment"/> bytes (a power of two; 32 is
    /// GGUF's default). Any other value is recorded as <c>general.alignment</c>.
    /// </summary>
    public GgufWriter(int alignment = GgufHeader.DefaultAlignment)
    {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > 1 << 20)
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "alignment must be a power of two up to 1 MiB");
        Alignment = alignment;
        if (alignment != GgufHeader.DefaultAlignment) Put(GgufHeader.AlignmentKey, GgufValue.UInt32((uint)alignment));
    }

    public int Alignment { get; }

    public int TensorCount => _tensors.Count;

    /// <summary>True when metadata <paramref name="key"/> has been set.</summary>
    public bool Contains(string key) => _metadata.ContainsKey(key);

    /// <summary>Sets <paramref name="key"/> (replacing an earlier value but keeping its place).
    /// <c>general.alignment</c> is set by the constructor only.</summary>
    public GgufWriter Set(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key == GgufHeader.AlignmentKey)
            throw new ArgumentException($"'{GgufHeader.AlignmentKey}' follows the alignment given to the constructor", nameof(key));
        return Put(key, value);
    }

    public GgufWriter SetString(string key, string value) => Set(key, GgufValue.String(value));
    public GgufWriter SetUInt32(string key, uint value) => Set(key, GgufValue.UInt32(value));
    public GgufWriter SetInt32(string key, int value) => Set(key, GgufValue.Int32(value));
    public GgufWriter SetUInt64(string key, ulong value) => Set(key, GgufValue.UInt64(value));
    public GgufWriter SetFloat32(string key, float value) => Set(key, GgufValue.Float32(value));
    public GgufWriter SetBool(string key, bool value) => Set(key, GgufValue.Bool(value));
    public GgufWriter SetStrings(string key, IEnumerable<string> values) => Set(key, GgufValue.Array(values));

    /// <summary>
    /// Adds float32 <paramref name="values"/> (row-major, the product of <paramref name="shape"/> elements) stored as
    /// <paramref name="type"/>: F32 exactly, F16 or BF16 rounded to nearest even. The values are copied.
    /// </summary>
    public GgufWriter AddFloat32(string name, GgmlType type, ReadOnlySpan<long> shape, ReadOnlySpan<float> values)
    {
        var dtype = type switch
        {
            GgmlType.F32 => DType.F32,
            GgmlType.F16 => DType.F16,
            GgmlType.BF16 => DType.BF16,
            _ => throw new ArgumentException($"tensor '{name}': float values can be stored as F32, F16 or BF16, not {type}; " +
                "quantize them first and use AddRaw", nameof(type)),
        };
        long[] dims = Dims(name, type, shape, out long byteLength);
        long count = dims.Aggregate(1L, (product, dim) => product * dim);
        if (count != values.Length)
            throw new ArgumentException($"tensor '{name}' has shape [{string.Join(", ", shape.ToArray())}] = {count} elements but {values.Length} were given", nameof(values));
        if (byteLength > System.Array.MaxLength)
            throw new ArgumentException($"tensor '{name}' takes {byteLength} bytes; use AddDeferred for tensors of 2 GiB or more", nameof(shape));
        var data = new byte[byteLength];
        FloatConversions.Encode(dtype, values, data);
        return Put(new Entry(name, type, dims, byteLength, data, null));
    }

    /// <summary>
    /// Adds a tensor given as raw bytes of <paramref name="type"/> (elements, or quantized blocks along each row);
    /// <paramref name="data"/> holds exactly the bytes <see cref="GgmlTypes.ByteLength"/> gives and is copied.
    /// The innermost dimension (the last of <paramref name="shape"/>) must be a whole number of blocks.
    /// </summary>
    public GgufWriter AddRaw(string name, GgmlType type, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data)
    {
        long[] dims = Dims(name, type, shape, out long byteLength);
        if (byteLength != data.Length)
            throw new ArgumentException($"tensor '{name}': {type} [{string.Join(", ", shape.ToArray())}] takes {byteLength} bytes but {data.Length} were given", nameof(data));
        return Put(new Entry(name, type, dims, byteLength, data.ToArray(), null));
    }

    /// <summary>
    /// Adds a tensor of <paramref name="type"/> whose bytes <paramref name="writeData"/> writes to the stream it is given
    /// during <see cref="Write"/> (once per Write call, in tensor order). It must write exactly
    /// <see cref="GgmlTypes.ByteLength"/> bytes, or Write throws and publishes nothing; whatever it reads from must stay
    /// alive until Write returns. The stream belongs to the writer: do not dispose or keep it.
    /// </summary>
    public GgufWriter AddDeferred(string name, GgmlType type, ReadOnlySpan<long> shape, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        long[] dims = Dims(name, type, shape, out long byteLength);
        return Put(new Entry(name, type, dims, byteLength, null, writeData));
    }

    /// <summary>
    /// Writes the file to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>): a crash leaves either the
    /// previous file or the complete new one. The writer can be written again or extended afterwards.
    /// </summary>
    public void Write(string path)
    {
        using var header = new MemoryStream();
        using (var writer = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(GgufHeader.Magic);
            writer.Write(GgufHeader.Version);
            writer.Write((ulong)_tensors.Count);
            writer.Write((ulong)_keyOrder.Count);
            foreach (string key in _keyOrder)
            {
                WriteString(writer, key);
                writer.Write((uint)_metadata[key].Type);
                WriteValue(writer, _metadata[key]);
            }
            long offset = 0;
            foreach (var tensor in _tensors)
            {
                WriteString(writer, tensor.Name);
                writer.Write((uint)tensor.Dims.Length);
                foreach (long dim in tensor.Dims) writer.Write((ulong)dim);
                writer.Write((uint)tensor.Type);
                writer.Write((ulong)offset);
                offset = GgufHeader.Align(offset + tensor.ByteLength, Alignment);
            }
        }
        AtomicFile.Write(path, stream =>
        {
            header.Position = 0;
            header.CopyTo(stream);
            Pad(stream, header.Length);
            foreach (var tensor in _tensors)
            {
                if (tensor.Data is not null) stream.Write(tensor.Data);
                else WriteDeferred(stream, tensor);
                Pad(stream, tensor.ByteLength);
            }
        });
    }

    private static void WriteDeferred(Stream stream, Entry tensor)
    {
        var counting = new CountingStream(stream);
        tensor.Source!(counting);
        if (counting.Written != tensor.ByteLength)
            throw new InvalidOperationException($"tensor '{tensor.Name}': the data callback wrote {counting.Written} bytes; " +
                $"{tensor.Type} [{string.Join(", ", tensor.Dims.Reverse())}] takes {tensor.ByteLength}");
    }

    private void Pad(Stream stream, long written)
    {
        long padding = GgufHeader.Align(written, Alignment) - written;
        for (long i = 0; i < padding; i++) stream.WriteByte(0);
    }

    private GgufWriter Put(string key, GgufValue value)
    {
        if (!_metadata.ContainsKey(key)) _keyOrder.Add(key);
        _metadata[key] = value;
        return this;
    }

    private GgufWriter Put(Entry entry)
    {
        if (!_tensorNames.Add(entry.Name)) throw new ArgumentException($"tensor '{entry.Name}' was already added", "name");
        _tensors.Add(entry);
        return this;
    }

    private static long[] Dims(string name, GgmlType type, ReadOnlySpan<long> shape, out long byteLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) > MaxTensorNameBytes)
            throw new ArgumentException($"tensor name '{name}' is longer than {MaxTensorNameBytes} bytes, which ggml cannot load", nameof(name));
        if (!GgmlTypes.IsKnown((uint)type)) throw new ArgumentOutOfRangeException(nameof(type), type, $"tensor '{name}': not a known ggml type");
        if (shape.Length > GgufHeader.MaxDims)
            throw new ArgumentException($"tensor '{name}' has {shape.Length} dimensions; ggml allows at most {GgufHeader.MaxDims}", nameof(shape));
        var dims = shape.ToArray();
        System.Array.Reverse(dims);
        try
        {
            byteLength = GgmlTypes.ByteLength(type, dims);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"tensor '{name}': {e.Message}", nameof(shape), e);
        }
        return dims;
    }

    private static void WriteString(BinaryWriter writer, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    /// <summary>Writes a value's body (its type id is written by the caller, or is the array's element type).</summary>
    private static void WriteValue(BinaryWriter writer, GgufValue value)
    {
        if (value.Raw is GgufValue[] arrays)
        {
            WriteArrayHead(writer, value);
            foreach (var item in arrays) WriteValue(writer, item);
        }
        else if (value.Raw is System.Array array)
        {
            WriteArrayHead(writer, value);
            foreach (object item in array) WriteScalar(writer, item);
        }
        else
        {
            WriteScalar(writer, value.Raw);
        }
    }

    private static void WriteArrayHead(BinaryWriter writer, GgufValue value)
    {
        writer.Write((uint)value.ElementType);
        writer.Write((ulong)value.Count);
    }

    private static void WriteScalar(BinaryWriter writer, object raw)
    {
        switch (raw)
        {
            case byte v: writer.Write(v); break;
            case sbyte v: writer.Write(v); break;
            case ushort v: writer.Write(v); break;
            case short v: writer.Write(v); break;
            case uint v: writer.Write(v); break;
            case int v: writer.Write(v); break;
            case float v: writer.Write(v); break;
            case bool v: writer.Write((byte)(v ? 1 : 0)); break;
            case string v: WriteString(writer, v); break;
            case ulong v: writer.Write(v); break;
            case long v: writer.Write(v); break;
            case double v: writer.Write(v); break;
            default: throw new InvalidOperationException($"unexpected metadata value {raw.GetType()}");
        }
    }
}
