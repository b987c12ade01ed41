using System.Text;

namespace Glm.Checkpoints;

/// <summary>
/// Writes files so that a reader (or the next run after a crash) sees either the old file or the complete new one,
/// never a partial file under the final name: the content goes to a temporary file in the same folder, is flushed to
/// disk, and is then renamed over the target (a rename within one file system is atomic on Linux and Windows).
/// </summary>
/// <remarks>
/// Thread safety: concurrent writes to different paths are safe; concurrent writes to the same path each complete,
/// and the last rename wins. The target's folder is created if missing. On failure the temporary file is deleted
/// and the exception propagates; the target is left as it was. Temporary files are named
/// <c>.{name}.{random}.tmp</c>, so a crash mid-write leaves at most such a file beside the target.
/// </remarks>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var temp = TempFile.Create(path);
        temp.Stream.Write(bytes);
        temp.Commit();
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Utf8NoBom.GetBytes(text));

    /// <summary>
    /// Lets <paramref name="write"/> fill a buffered stream, then publishes it at <paramref name="path"/> atomically.
    /// The stream belongs to this method: <paramref name="write"/> must not dispose it or keep it.
    /// If <paramref name="write"/> throws, nothing is published.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var temp = TempFile.Create(path);
        write(temp.Stream);
        temp.Commit();
    }

    /// <summary>A temporary file beside the target; deleted on dispose unless committed.</summary>
    private sealed class TempFile : IDisposable
    {
        private readonly string _target;
        private readonly string _tempPath;
        private readonly FileStream _file;
        private bool _committed;

        private TempFile(string target, string tempPath, FileStream file)
        {
            _target = target;
            _tempPath = tempPath;
            _file = file;
            Stream = new BufferedStream(file, 1 << 20);
        }

        public Stream Stream { get; }

        public static TempFile Create(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            string target = Path.GetFullPath(path);
            string folder = Path.GetDirectoryName(target) ?? throw new ArgumentException($"{path} has no parent folder", nameof(path));
            Directory.CreateDirectory(folder);
            string tempPath = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
            // No FileStream buffer: the BufferedStream buffers, so disposing the bare file on failure writes nothing.
            var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            return new TempFile(target, tempPath, file);
        }

        public void Commit()
        {
            Stream.Flush();
            _file.Flush(flushToDisk: true);
            Stream.Dispose();
            File.Move(_tempPath, _target, overwrite: true);
            _committed = true;
        }

        public void Dispose()
        {
            if (_committed) return;
            _file.Dispose();
            File.Delete(_tempPath);
        }
    }
}
