using Glm.Core;

namespace Glm.Training.Data;

/// <summary>
/// The corpus as one endless (or <c>epochs</c>-long) run of tokens: each segment encoded on its own, end-of-text
/// after each document, pass after pass. Its position is (pass, segment index in the pass, tokens of that segment
/// already read); <see cref="Seek"/> returns to one by skipping segments without encoding them. Not thread-safe.
/// </summary>
internal sealed class TokenReader(
    Func<IEnumerable<CorpusSegment>> segments, Func<string, int[]> encode, int endOfText, int? epochs) : IDisposable
{
    private IEnumerator<CorpusSegment>? _enumerator;
    private int _epoch;
    private long _segment = -1; // index of the segment in _tokens; -1 before the pass's first
    private int[] _tokens = [];
    private int _offset;
    private bool _epochHasTokens;

    public (int Epoch, long Segment, int Offset) Position => (_epoch, Math.Max(0, _segment), _offset);

    public void Seek(int epoch, long segment, int offset)
    {
        StartEpoch(epoch);
        if (segment == 0 && offset == 0) return; // the start of a pass: nothing to skip, the corpus may be empty
        if (epochs is { } limit && epoch >= limit) return;
        _enumerator = segments().GetEnumerator();
        for (long i = 0; i <= segment; i++)
        {
            if (!_enumerator.MoveNext())
                throw new GlmException(
                    $"stream position (epoch {epoch}, segment {segment}) is past the end of the corpus; did the data change?");
        }
        _segment = segment;
        Load(_enumerator.Current);
        if (offset > _tokens.Length)
            throw new GlmException($"stream position (segment {segment}, token {offset}) is past that segment's "
                + $"{_tokens.Length} tokens; did the data or tokenizer change?");
        _offset = offset;
        _epochHasTokens |= segment > 0;
    }

    /// <summary>Fills <paramref name="destination"/>; false (with a partial fill) when the last pass ends.</summary>
    public bool Read(Span<int> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_offset == _tokens.Length)
            {
                if (!NextSegment()) return false;
                continue;
            }
            int count = Math.Min(destination.Length, _tokens.Length - _offset);
            _tokens.AsSpan(_offset, count).CopyTo(destination);
            destination = destination[count..];
            _offset += count;
        }
        return true;
    }

    public void Dispose() => _enumerator?.Dispose();

    private bool NextSegment()
    {
        while (true)
        {
            if (epochs is { } limit && _epoch >= limit) return false;
            _enumerator ??= segments().GetEnumerator();
            if (_enumerator.MoveNext())
            {
                _segment++;
                Load(_enumerator.Current);
                return true;
            }
            if (!_epochHasTokens) throw new GlmException("the corpus has no text to train on");
            StartEpoch(_epoch + 1);
        }
    }

    private void StartEpoch(int epoch)
    {
        _enumerator?.Dispose();
        _enumerator = null;
        _epoch = epoch;
        _segment = -1;
        _tokens = [];
        _offset = 0;
        _epochHasTokens = false;
    }

    private void Load(CorpusSegment segment)
    {
        var ids = encode(segment.Text);
        _tokens = segment.EndsDocument ? [.. ids, endOfText] : ids;
        _offset = 0;
        _epochHasTokens |= _tokens.Length > 0;
    }
}
