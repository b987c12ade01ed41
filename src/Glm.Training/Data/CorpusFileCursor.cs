namespace Glm.Training.Data;

/// <summary>
/// One open corpus file read document by document for <see cref="CorpusReader"/>: <see cref="NextDocument"/> streams
/// the segments of the next document, and <see cref="FractionRead"/> says how far into the file (on disk, so
/// compressed bytes for .gz) reading has got. Owns the open file; not thread-safe.
/// </summary>
internal sealed class CorpusFileCursor(string file, StreamReader reader, FileStream raw, int segmentChars) : IDisposable
{
    private readonly bool _jsonl = file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
        || file.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase);
    private readonly SegmentCutter _cutter = new(segmentChars);
    private int _lineNumber;

    public bool Finished { get; private set; }

    public double FractionRead => Finished || raw.Length == 0 ? 1 : (double)raw.Position / raw.Length;

    /// <summary>The segments of the next non-blank document; none (and <see cref="Finished"/>) at the end of the file.</summary>
    public IEnumerable<CorpusSegment> NextDocument()
    {
        while (!Finished)
        {
            string? line = CorpusReader.ReadLine(reader, file, ++_lineNumber);
            if (line is null)
            {
                Finished = true;
                _cutter.EndDocument();
            }
            else if (!_jsonl && line == CorpusReader.DocumentSeparator) _cutter.EndDocument();
            else if (!_jsonl) _cutter.AddLine(line);
            else if (CorpusReader.JsonText(line, file, _lineNumber) is { } text)
            {
                _cutter.AddText(text);
                _cutter.EndDocument();
            }

            bool ended = false;
            while (_cutter.TryTake(out var segment))
            {
                ended |= segment.EndsDocument;
                yield return segment;
            }
            if (ended) yield break;
        }
    }

    public void Dispose() => reader.Dispose();
}
