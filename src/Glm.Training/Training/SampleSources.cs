using Glm.Tokenizers;
using Glm.Training.Data;

namespace Glm.Training.Training;

/// <summary>A run's supply of training samples, and where it stands (saved in checkpoints to resume exactly).</summary>
internal interface ISampleSource : IDisposable
{
    /// <summary>The next sample; all its randomness comes from <paramref name="rng"/>.</summary>
    InfillSample Next(Random rng);

    StreamPosition Position { get; }
}

/// <summary>Pretraining: packed chunks of the corpus, each collated (blank infilling or left to right).</summary>
internal sealed class PackedSampleSource(PackedTokenStream stream, ISampleCollator collator) : ISampleSource
{
    public InfillSample Next(Random rng) => collator.Build(
        stream.TryNext(out var chunk) ? chunk : throw new Glm.Core.GlmException("the training data holds no text"), rng);

    public StreamPosition Position => stream.Position;

    public void Dispose() => stream.Dispose();
}

/// <summary>
/// Supervised fine-tuning: one conversation per sample (<see cref="ChatSamples"/>), every pass in a new order that
/// depends only on the seed and the pass number. The position is (pass, conversations taken in this pass).
/// </summary>
internal sealed class ChatSampleSource : ISampleSource
{
    private readonly IReadOnlyList<RenderedChat> _chats;
    private readonly int _seqLength, _pad;
    private readonly long _seed;
    private int _epoch, _taken;
    private int[] _order;

    public ChatSampleSource(IReadOnlyList<RenderedChat> chats, int seqLength, int pad, long seed, StreamPosition? start)
    {
        if (chats.Count == 0) throw new Glm.Core.GlmException("the chat training data holds no conversation with an assistant reply");
        (_chats, _seqLength, _pad, _seed) = (chats, seqLength, pad, seed);
        _epoch = start?.Epoch ?? 0;
        _taken = (int)(start?.Segment ?? 0);
        if (_taken > chats.Count) throw new Glm.Core.GlmException($"chat position {_taken} is past the {chats.Count} conversations of this data");
        _order = Order(_epoch);
    }

    public InfillSample Next(Random rng)
    {
        if (_taken == _chats.Count)
        {
            _order = Order(++_epoch);
            _taken = 0;
        }
        return ChatSamples.Build(_chats[_order[_taken++]], _seqLength, _pad);
    }

    public StreamPosition Position => new() { Epoch = _epoch, Segment = _taken };

    private int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, _chats.Count).ToArray();
        new Random(unchecked((int)(_seed * 1_000_003 + epoch * 7_919))).Shuffle(order); // seeded Random is stable across runs
        return order;
    }

    public void Dispose() { }
}
