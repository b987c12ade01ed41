using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Glm.Core;

namespace Glm.Training.Data;

/// <summary>
/// Streams the documents of corpus files as <see cref="CorpusSegment"/>s, one line at a time (a file is never read
/// into one string). Formats, by extension:
/// <list type="bullet">
/// <item><c>.txt</c>, <c>.txt.gz</c>: documents separated by lines that are exactly <c>&lt;|endoftext|&gt;</c>; a
/// file without such lines is one document.</item>
/// <item><c>.jsonl</c>, <c>.jsonl.gz</c>: one JSON object per line, the text in "text" (or "content" when there is
/// no "text"); blank lines are skipped.</item>
/// </list>
/// Every file ends its last document. Whitespace-only documents are skipped. Several files are interleaved document by
/// document, always continuing the file read least far (as a fraction of its size on disk), so every prefix of the
/// stream holds each file in proportion to its size: a run that stops early has still seen all of its sources. Problems are <see cref="GlmException"/>s
/// naming the file (and line).
/// </summary>
public static class CorpusReader
{
    public const string DocumentSeparator = "<|endoftext|>";

    private static readonly string[] Extensions = [".txt", ".txt.gz", ".jsonl", ".jsonl.gz"];

    /// <summary>
    /// Files as given, and for each directory its corpus files (by extension, recursively) in ordinal path order, so
    /// the reading order and the held-out split are the same on every machine.
    /// </summary>
    public static IReadOnlyList<string> ExpandPaths(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(IsCorpusFile).ToList();
                if (found.Count == 0) throw new GlmException($"no corpus files ({string.Join(", ", Extensions)}) in {path}");
                found.Sort(StringComparer.Ordinal);
                files.AddRange(found);
            }
            else
            {
                CheckFile(path);
                files.Add(path);
            }
        }
        return files;
    }

    /// <summary>
    /// The segments of every document of <paramref name="files"/>, in order; a document longer than
    /// <paramref name="segmentChars"/> is cut at line boundaries. Checks now that every file exists and has a
    /// supported extension; reads lazily. Dispose the enumerator to close the open file.
    /// </summary>
    public static IEnumerable<CorpusSegment> ReadSegments(IReadOnlyList<string> files, int segmentChars = HeldOutSplit.SegmentChars)
    {
        if (segmentChars < 16) throw new ArgumentOutOfRangeException(nameof(segmentChars), "segments hold at least 16 characters");
        foreach (var file in files) CheckFile(file);
        return Read(files, segmentChars);
    }

    private static IEnumerable<CorpusSegment> Read(IReadOnlyList<string> files, int segmentChars)
    {
        var cursors = new List<CorpusFileCursor>(files.Count);
        try
        {
            foreach (var file in files) cursors.Add(new CorpusFileCursor(file, Open(file, out var raw), raw, segmentChars));
            while (NextFile(cursors) is { } cursor)
                foreach (var segment in cursor.NextDocument()) yield return segment;
        }
        finally
        {
            foreach (var cursor in cursors) cursor.Dispose();
        }
    }

    /// <summary>The unfinished file read least far, as a fraction of its size on disk (ties: the earlier file).</summary>
    private static CorpusFileCursor? NextFile(List<CorpusFileCursor> cursors)
    {
        CorpusFileCursor? next = null;
        foreach (var cursor in cursors)
            if (!cursor.Finished && (next is null || cursor.FractionRead < next.FractionRead)) next = cursor;
        return next;
    }

    private static bool IsCorpusFile(string path) =>
        Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static void CheckFile(string path)
    {
        if (!File.Exists(path)) throw new GlmException($"corpus file not found: {path}");
        if (!IsCorpusFile(path))
            throw new GlmException($"{path}: unsupported corpus file type (use {string.Join(", ", Extensions)})");
    }

    private static StreamReader Open(string file, out FileStream raw)
    {
        try
        {
            raw = File.OpenRead(file);
            Stream stream = raw;
            if (file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
                stream = new GZipStream(stream, CompressionMode.Decompress);
            return new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GlmException($"{file}: cannot open: {e.Message}", e);
        }
    }

    internal static string? ReadLine(StreamReader reader, string file, int lineNumber)
    {
        try
        {
            return reader.ReadLine();
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw new GlmException($"{file} line {lineNumber}: cannot read: {e.Message}", e);
        }
    }

    /// <summary>The document text of one JSONL line; null for a blank line.</summary>
    internal static string? JsonText(string line, string file, int lineNumber)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new GlmException($"{file} line {lineNumber}: not valid JSON: {e.Message}", e);
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new GlmException($"{file} line {lineNumber}: expected a JSON object");
            if (!root.TryGetProperty("text", out var text) && !root.TryGetProperty("content", out text))
                throw new GlmException($"{file} line {lineNumber}: no \"text\" or \"content\" field");
            if (text.ValueKind != JsonValueKind.String)
                throw new GlmException($"{file} line {lineNumber}: the document text is a JSON {text.ValueKind}, not a string");
            return text.GetString();
        }
    }
}
