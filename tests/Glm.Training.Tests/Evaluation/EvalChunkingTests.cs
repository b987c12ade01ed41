using Glm.Tokenizers;
using Glm.Training.Data;
using Glm.Training.Evaluation;

namespace Glm.Training.Tests.Evaluation;

public sealed class EvalChunkingTests
{
    /// <summary>Trained on text without a repeated pair, so every character stays one token.</summary>
    private static ByteLevelBpeTokenizer Bytes() =>
        BpeTrainer.Train(["abcdefghij"], new BpeTrainerOptions { VocabSize = 300 });

    [Fact]
    public void Spread_takes_windows_from_the_whole_text_not_only_its_start()
    {
        // 10 documents of 100 characters, each its own letter: 1000+ tokens, 10-token windows.
        var segments = Enumerable.Range(0, 10).Select(i => new CorpusSegment(new string((char)('a' + i), 100), true));
        var tokenizer = Bytes();

        var first = EvalChunking.Chunks(segments, tokenizer, 10, 5);
        var spread = EvalChunking.Spread(segments, tokenizer, 10, 5);

        Assert.Equal("a", string.Concat(first.Select(c => tokenizer.Decode(c)).SelectMany(t => t).Distinct()));
        var letters = spread.Select(c => tokenizer.Decode(c)[0]).ToList();
        Assert.Equal(['a', 'b', 'd', 'f', 'h'], letters); // windows 0, 20, 40, 60, 80 of 101: tokens 0..800 of 101-token documents
        Assert.Equal(EvalChunking.Chunks(segments, tokenizer, 10, int.MaxValue).Count, EvalChunking.Spread(segments, tokenizer, 10, 10_000).Count);
    }
}
