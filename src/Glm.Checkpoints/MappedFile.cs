using System.IO.MemoryMappedFiles;
using Glm.Core;

namespace Glm.Checkpoints;

/// <summary>
/// A whole file memory-mapped read-only, with its start address acquired once: the part <see cref="Gguf.GgufFile"/>
/// and <see cref="Safetensors.SafetensorsFile"/> share. Addresses are valid only until <see cref="Dispose"/>.
/// </summary>
/// <remarks>Thread safety: every member but <see cref="Dispose"/> may be called from any number of threads at once.
/// Errors name the file as <c>{kind} {path}</c>, e.g. <c>GGUF file model.gguf</c>.</remarks>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly string _kind;
    private readonly Type _owner;
    private bool _disposed;

    private MappedFile(MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* start, long length, string kind,
        string path, Type owner)
    {
        _mapping = mapping;
        _view = view;
        Start = start;
        Length = length;
        _kind = kind;
        Path = path;
        _owner = owner;
    }

    /// <summary>The path the file was opened with.</summary>
    public string Path { get; }

    /// <summary>The first byte of the file.</summary>
    public byte* Start { get; }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>
    /// Maps <paramref name="path"/>. Throws <see cref="GlmException"/> when it does not exist, or with the message
    /// <paramref name="lengthError"/> returns for its length (null: the length is fine). <paramref name="kind"/> names
    /// the format in errors; <paramref name="owner"/> is the type named when a disposed file is used.
    /// </summary>
    public static MappedFile Open(string path, string kind, Type owner, Func<long, string?> lengthError)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new GlmException($"{kind} {path} does not exist", e);
        }
        long length = stream.Length;
        if (lengthError(length) is { } error)
        {
            stream.Dispose();
            throw new GlmException(error);
        }
        // The mapping takes over the stream (leaveOpen: false) and closes it.
        var mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        byte* start = null;
        try
        {
            view = mapping.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            start += view.PointerOffset;
            return new MappedFile(mapping, view, start, length, kind, path, owner);
        }
        catch
        {
            if (start != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>The address <paramref name="offset"/> bytes into the file; throws <see cref="ObjectDisposedException"/>
    /// once disposed.</summary>
    public byte* At(long offset)
    {
        ObjectDisposedException.ThrowIf(_disposed, _owner);
        return Start + offset;
    }

    /// <summary>
    /// The <paramref name="byteLength"/> bytes of tensor <paramref name="name"/> at <paramref name="offset"/>, as a span;
    /// throws <see cref="GlmException"/> when they do not fit one (2 GiB or more).
    /// </summary>
    public ReadOnlySpan<byte> Bytes(long offset, long byteLength, string name)
    {
        if (byteLength > int.MaxValue)
            throw new GlmException($"{_kind} {Path}: tensor '{name}' is {byteLength} bytes, too large for a span; use GetPointer");
        return new ReadOnlySpan<byte>(At(offset), (int)byteLength);
    }

    /// <summary>Unmaps the file. Addresses and spans obtained from it become invalid.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }
}
