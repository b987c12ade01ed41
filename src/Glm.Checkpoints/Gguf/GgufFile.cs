using Glm.Checkpoints.Safetensors;
using Glm.Core;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// A GGUF file (llama.cpp's model format), memory-mapped read-only. Opening reads and validates the header only;
/// tensor data is paged in by the operating system when touched and is never copied unless
/// <see cref="ReadFloat32(string)"/> is asked to convert it.
/// </summary>
/// <remarks>
/// <para>Ownership: this object owns the mapping. Spans from <see cref="GetBytes"/> and pointers from
/// <see cref="GetPointer"/> point into it and are valid only until <see cref="Dispose"/>; using them afterwards reads
/// unmapped memory and crashes the process. The mapped memory is read-only: writing through a pointer faults.</para>
/// <para>Thread safety: after <see cref="Open"/> returns, every member may be called from any number of threads at
/// once. <see cref="Dispose"/> must not race with readers.</para>
/// <para>Validation on open: magic, version (2 or 3), every header field inside the file, known metadata and ggml
/// types, at most 4 dims, rows a whole number of blocks, unique tensor and key names, every tensor offset aligned and
/// its data inside the file, no two tensors overlapping. Errors are <see cref="GlmException"/>s naming the file and the
/// key or tensor at fault. Little-endian files only.</para>
/// </remarks>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly MappedFile _file;
    private readonly Dictionary<string, GgufTensorInfo> _byName;

    private GgufFile(string path, MappedFile file, GgufHeader.Parsed header)
    {
        Path = path;
        _file = file;
        FileLength = file.Length;
        Version = header.Version;
        Metadata = header.Metadata;
        Tensors = header.Tensors;
        Alignment = header.Alignment;
        DataOffset = header.DataOffset;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The path the file was opened with.</summary>
    public string Path { get; }

    /// <summary>The format version in the header (2 or 3).</summary>
    public uint Version { get; }

    public long FileLength { get; }

    /// <summary>Every metadata entry, in file order, with typed getters.</summary>
    public GgufMetadata Metadata { get; }

    /// <summary>Every tensor, in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Alignment of the data section and of each tensor's offset (<c>general.alignment</c>, default 32).</summary>
    public int Alignment { get; }

    /// <summary>Where the data section starts, in bytes from the start of the file.</summary>
    public long DataOffset { get; }

    /// <summary><c>general.architecture</c>, e.g. <c>chatglm</c>; null when the file does not say.</summary>
    public string? Architecture => Metadata.TryGetString("general.architecture", out var arch) ? arch : null;

    /// <summary>
    /// Maps <paramref name="path"/> and validates its header (see the remarks). Throws <see cref="GlmException"/> naming
    /// the file when it is missing or malformed. The caller owns the result and disposes it.
    /// </summary>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = MappedFile.Open(path, "GGUF file", typeof(GgufFile),
            length => length == 0 ? $"GGUF file {path} is empty" : null);
        try
        {
            var header = GgufHeader.Parse(path, file.Start, file.Length);
            return new GgufFile(path, file, header);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>True when a tensor of that name exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The entry of <paramref name="name"/>, or null when absent.</summary>
    public GgufTensorInfo? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The entry of <paramref name="name"/>; throws <see cref="GlmException"/> naming the file when absent.</summary>
    public GgufTensorInfo GetInfo(string name) =>
        _byName.TryGetValue(name, out var info) ? info : throw new GlmException($"GGUF file {Path} has no tensor '{name}'");

    /// <summary>
    /// The raw bytes of tensor <paramref name="name"/> (elements or quantized blocks), straight from the mapping (no
    /// copy). Valid only while this file is open. Tensors of 2 GiB or more do not fit a span: use <see cref="GetPointer"/>.
    /// </summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = GetInfo(name);
        return _file.Bytes(DataOffset + info.Offset, info.ByteLength, name);
    }

    /// <summary>
    /// Address of the first byte of tensor <paramref name="name"/> in the read-only mapping, for zero-copy users.
    /// <see cref="GgufTensorInfo.ByteLength"/> bytes are readable from it, aligned to <see cref="Alignment"/> within
    /// the file (the mapping itself is page-aligned). Valid only while this file is open.
    /// </summary>
    public nint GetPointer(string name) => (nint)DataPointer(GetInfo(name));

    /// <summary>Reads tensor <paramref name="name"/> (F32, F16 or BF16) into a new float32 array in row-major order,
    /// widening exactly. Quantized tensors throw <see cref="GlmException"/>.</summary>
    public float[] ReadFloat32(string name)
    {
        var info = GetInfo(name);
        var dtype = FloatDType(info);
        if (info.ElementCount > Array.MaxLength)
            throw new GlmException($"GGUF file {Path}: tensor '{name}' has {info.ElementCount} elements, too many for one array");
        var result = new float[info.ElementCount];
        byte* source = DataPointer(info);
        int size = DTypes.SizeOf(dtype);
        const int chunk = 1 << 24;
        for (int done = 0; done < result.Length; done += chunk)
        {
            int count = Math.Min(chunk, result.Length - done);
            FloatConversions.Decode(dtype, new ReadOnlySpan<byte>(source + (long)done * size, count * size), result.AsSpan(done, count));
        }
        return result;
    }

    private DType FloatDType(GgufTensorInfo info) => info.Type switch
    {
        GgmlType.F32 => DType.F32,
        GgmlType.F16 => DType.F16,
        GgmlType.BF16 => DType.BF16,
        _ => throw new GlmException($"GGUF file {Path}: tensor '{info.Name}' is {info.Type}; only F32, F16 and BF16 read as float32"),
    };

    private byte* DataPointer(GgufTensorInfo info) => _file.At(DataOffset + info.Offset);

    /// <summary>Unmaps the file. Spans and pointers obtained from it become invalid.</summary>
    public void Dispose() => _file.Dispose();
}
