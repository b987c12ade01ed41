using System.Diagnostics.CodeAnalysis;
using Glm.Core;

namespace Glm.Training.Data;

/// <summary>
/// Packs a corpus into fixed-size chunks for pretraining: each segment is encoded separately (cost linear in the
/// corpus), end-of-text follows each document, everything is concatenated and cut every ChunkSize tokens, pass
/// after pass (a chunk may straddle documents and passes). Without a seed the order is the corpus order; with one,
/// chunks are permuted within windows by a permutation that depends only on the seed and the window number.
/// <see cref="Position"/> can be saved and given back to the constructor to continue exactly. Owns the open corpus
/// file (dispose it); not thread-safe.
/// </summary>
public sealed class PackedTokenStream : IDisposable
{
    private readonly PackedStreamOptions _options;
    private readonly TokenReader _reader;
    private readonly List<int[]> _window = [];
    private int[] _order = [];
    private int _taken;
    private long _nextWindow; // number of the next window to fill; the loaded one is _nextWindow - 1
    private (int Epoch, long Segment, int Offset) _windowStart;

    /// <param name="segments">Called once per pass to enumerate the corpus, e.g.
    /// <c>() =&gt; HeldOutSplit.Training(CorpusReader.ReadSegments(files))</c>; must give the same segments each time.</param>
    /// <param name="encode">Text to token ids; must be deterministic. Special tokens are not added.</param>
    /// <param name="options">Validated here.</param>
    /// <param name="start">Where to begin; null for <see cref="StreamPosition.Start"/>.</param>
    public PackedTokenStream(Func<IEnumerable<CorpusSegment>> segments, Func<string, int[]> encode,
        PackedStreamOptions options, StreamPosition? start = null)
    {
        _options = options.Validate();
        _reader = new TokenReader(segments, encode, options.EndOfText, options.Epochs);
        var position = (start ?? StreamPosition.Start).Validate();
        _reader.Seek(position.Epoch, position.Segment, position.TokenOffset);
        _nextWindow = position.Window;
        if (position.Taken == 0) return;
        if (!FillWindow() || position.Taken > _window.Count)
            throw new GlmException($"stream position {position.ToJson()} does not match this corpus and these options");
        _taken = position.Taken;
    }

    /// <summary>The position of the next chunk.</summary>
    public StreamPosition Position
    {
        get
        {
            bool inWindow = _taken < _window.Count;
            var (epoch, segment, offset) = inWindow ? _windowStart : _reader.Position;
            return new StreamPosition
            {
                Epoch = epoch,
                Segment = segment,
                TokenOffset = offset,
                Window = inWindow ? _nextWindow - 1 : _nextWindow,
                Taken = inWindow ? _taken : 0,
            };
        }
    }

    /// <summary>The next chunk of ChunkSize tokens (a new array the caller owns); false when the last pass ends.</summary>
    public bool TryNext([NotNullWhen(true)] out int[]? chunk)
    {
        if (_taken == _window.Count && !FillWindow())
        {
            chunk = null;
            return false;
        }
        chunk = _window[_order[_taken++]];
        return true;
    }

    public void Dispose() => _reader.Dispose();

    private bool FillWindow()
    {
        _windowStart = _reader.Position;
        _window.Clear();
        _taken = 0;
        int size = _options.ShuffleSeed is null ? 1 : _options.ShuffleWindow;
        while (_window.Count < size)
        {
            var chunk = new int[_options.ChunkSize];
            if (!_reader.Read(chunk)) break;
            _window.Add(chunk);
        }
        _order = [.. Enumerable.Range(0, _window.Count)];
        if (_options.ShuffleSeed is { } seed) new Random(Mix(seed, _nextWindow)).Shuffle(_order);
        _nextWindow++;
        return _window.Count > 0;
    }

    /// <summary>SplitMix64 of (seed, window): a stable seed for the window's permutation.</summary>
    private static int Mix(long seed, long window)
    {
        ulong z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL * (ulong)(window + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)(z ^ (z >> 31));
    }
}
