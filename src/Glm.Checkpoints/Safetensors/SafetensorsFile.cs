using System.Buffers.Binary;
using Glm.Core;

namespace Glm.Checkpoints.Safetensors;

/// <summary>
/// A safetensors file, memory-mapped read-only. Opening reads and validates the header only; tensor data is paged in
/// by the operating system when touched and is never copied unless a Read method is asked to convert it.
/// </summary>
/// <remarks>
/// <para>Ownership: this object owns the mapping. Spans from <see cref="GetBytes"/> and pointers from
/// <see cref="GetPointer"/> point into it and are valid only until <see cref="Dispose"/>; using them afterwards reads
/// unmapped memory and crashes the process. The mapped memory is read-only: writing through a pointer faults.</para>
/// <para>Thread safety: after <see cref="Open"/> returns, every member may be called from any number of threads at
/// once. <see cref="Dispose"/> must not race with readers.</para>
/// <para>Alignment: tensor data starts at 8 + header length + <see cref="TensorInfo.ByteOffset"/> bytes into the file.
/// Files written by the Python library or <see cref="SafetensorsWriter"/> keep every tensor aligned to its element size
/// (the mapping itself is page-aligned); hand-made files may not be. The Read methods cope with either.</para>
/// <para>The data is little-endian, as the format defines; GlmSharp runs on little-endian machines only.</para>
/// </remarks>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MappedFile _file;
    private readonly long _dataStart;

    private SafetensorsFile(string path, MappedFile file, long dataStart, SafetensorsHeader.Parsed header)
    {
        Path = path;
        _file = file;
        _dataStart = dataStart;
        Tensors = header.Tensors;
        Metadata = header.Metadata;
    }

    /// <summary>The path the file was opened with.</summary>
    public string Path { get; }

    /// <summary>Every tensor in the header, by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> strings (empty when absent), e.g. <c>format: pt</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Maps <paramref name="path"/> and validates its header. Throws <see cref="GlmException"/> naming the file (and the
    /// tensor, where one is at fault) if the file is missing, truncated or malformed. The caller owns the result.
    /// </summary>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = MappedFile.Open(path, "safetensors file", typeof(SafetensorsFile), length => length < 8
            ? $"safetensors file {path}: file is {length} bytes, too short to hold the 8-byte header length"
            : null);
        try
        {
            var header = ReadHeader(path, file.Start, file.Length, out long dataStart);
            return new SafetensorsFile(path, file, dataStart, header);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static SafetensorsHeader.Parsed ReadHeader(string path, byte* file, long length, out long dataStart)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(file, 8));
        if (headerLength > SafetensorsHeader.MaxHeaderBytes)
        {
            string where = headerLength > (ulong)(length - 8) ? $", past the end of the {length}-byte file" : "";
            throw new GlmException($"safetensors file {path}: header length {headerLength} exceeds the " +
                $"{SafetensorsHeader.MaxHeaderBytes}-byte limit{where}; this is not a safetensors file or it is corrupt");
        }
        if ((long)headerLength > length - 8)
            throw new GlmException($"safetensors file {path}: header length {headerLength} runs past the end of the " +
                $"{length}-byte file; the file is truncated or corrupt");
        dataStart = 8 + (long)headerLength;
        var header = new ReadOnlySpan<byte>(file + 8, (int)headerLength);
        return SafetensorsHeader.Parse(path, header, length - dataStart);
    }

    /// <summary>The header entry of <paramref name="name"/>; throws <see cref="GlmException"/> naming the file when absent.</summary>
    public TensorInfo GetInfo(string name)
    {
        if (Tensors.TryGetValue(name, out var info)) return info;
        throw new GlmException($"safetensors file {Path} has no tensor '{name}'");
    }

    /// <summary>
    /// The raw little-endian bytes of tensor <paramref name="name"/>, straight from the mapping (no copy). Valid only
    /// while this file is open. Tensors of 2 GiB or more do not fit a span: use <see cref="GetPointer"/>.
    /// </summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = GetInfo(name);
        return _file.Bytes(_dataStart + info.ByteOffset, info.ByteLength, name);
    }

    /// <summary>
    /// Address of the first byte of tensor <paramref name="name"/> in the read-only mapping, for zero-copy users
    /// (kernels that read weights in place). <see cref="TensorInfo.ByteLength"/> bytes are readable from it. The address
    /// is valid only while this file is open; whoever holds it must not outlive this object.
    /// </summary>
    public nint GetPointer(string name) => (nint)DataPointer(GetInfo(name));

    /// <summary>Reads tensor <paramref name="name"/> (F32, F16 or BF16) into a new float32 array, widening exactly.</summary>
    public float[] ReadFloat32(string name)
    {
        var info = GetInfo(name);
        CheckConvertible(info);
        if (info.ElementCount > Array.MaxLength)
            throw new GlmException($"safetensors file {Path}: tensor '{name}' has {info.ElementCount} elements, too many for one array");
        var result = new float[info.ElementCount];
        Decode(info, result);
        return result;
    }

    /// <summary>
    /// Reads tensor <paramref name="name"/> (F32, F16 or BF16) into <paramref name="destination"/>, which must hold
    /// exactly its element count. Allocates nothing.
    /// </summary>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var info = GetInfo(name);
        CheckConvertible(info);
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"tensor '{name}' has {info.ElementCount} elements but the destination holds {destination.Length}", nameof(destination));
        Decode(info, destination);
    }

    private void CheckConvertible(TensorInfo info)
    {
        if (!DTypes.IsFloat32Convertible(info.DType))
            throw new GlmException($"safetensors file {Path}: tensor '{info.Name}' is {info.DType}; only F32, F16 and BF16 read as float32");
    }

    private void Decode(TensorInfo info, Span<float> destination)
    {
        byte* source = DataPointer(info);
        int size = DTypes.SizeOf(info.DType);
        // Chunks keep each source span under 2 GiB, so tensors of any size convert.
        const int chunk = 1 << 24;
        for (int done = 0; done < destination.Length; done += chunk)
        {
            int count = Math.Min(chunk, destination.Length - done);
            var bytes = new ReadOnlySpan<byte>(source + (long)done * size, count * size);
            FloatConversions.Decode(info.DType, bytes, destination.Slice(done, count));
        }
    }

    private byte* DataPointer(TensorInfo info) => _file.At(_dataStart + info.ByteOffset);

    /// <summary>Unmaps the file. Spans and pointers obtained from it become invalid.</summary>
    public void Dispose() => _file.Dispose();
}
