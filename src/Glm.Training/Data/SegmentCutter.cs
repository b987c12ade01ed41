using System.Text;

namespace Glm.Training.Data;

/// <summary>
/// Collects a document line by line and cuts it into segments of at most <c>maxChars</c> characters at line
/// boundaries (a single longer line is cut inside, never inside a surrogate pair). Lines are joined with '\n'.
/// A document that is only whitespace is dropped. Not thread-safe.
/// </summary>
internal sealed class SegmentCutter(int maxChars)
{
    private readonly StringBuilder _pending = new();
    private readonly Queue<CorpusSegment> _ready = new();
    private bool _emitted; // the current document already gave a segment

    public void AddLine(ReadOnlySpan<char> line)
    {
        if (_pending.Length > 0 && _pending.Length + line.Length + 1 > maxChars) Emit(endsDocument: false);
        while (line.Length + 1 > maxChars)
        {
            // Pieces leave room for a '\n', so the rest of the line is never empty.
            int cut = char.IsHighSurrogate(line[maxChars - 2]) ? maxChars - 2 : maxChars - 1;
            _pending.Append(line[..cut]);
            Emit(endsDocument: false);
            line = line[cut..];
        }
        _pending.Append(line).Append('\n');
    }

    /// <summary>Adds a whole text, split at '\n' (a '\r' before it is dropped, as a line reader does).</summary>
    public void AddText(ReadOnlySpan<char> text)
    {
        while (true)
        {
            int newline = text.IndexOf('\n');
            var line = newline < 0 ? text : text[..newline];
            AddLine(line.EndsWith('\r') ? line[..^1] : line);
            if (newline < 0) return;
            text = text[(newline + 1)..];
        }
    }

    public void EndDocument()
    {
        if (_pending.Length > 0) _pending.Length--; // the last line has no terminator
        if (_emitted || !IsWhiteSpace(_pending)) Emit(endsDocument: true);
        _pending.Clear();
        _emitted = false;
    }

    public bool TryTake(out CorpusSegment segment) => _ready.TryDequeue(out segment!);

    private void Emit(bool endsDocument)
    {
        _ready.Enqueue(new CorpusSegment(_pending.ToString(), endsDocument));
        _pending.Clear();
        _emitted = !endsDocument;
    }

    private static bool IsWhiteSpace(StringBuilder text)
    {
        foreach (var chunk in text.GetChunks())
            if (!chunk.Span.IsWhiteSpace()) return false;
        return true;
    }
}
