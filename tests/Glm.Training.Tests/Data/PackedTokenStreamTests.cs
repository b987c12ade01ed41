using System.Text.Json;
using Glm.Core;
using Glm.Training.Data;

namespace Glm.Training.Tests.Data;

public class PackedTokenStreamTests
{
    private const int Eot = 0;

    /// <summary>Segments of 0..6 characters, some ending documents; characters encode to their code points.</summary>
    private static List<CorpusSegment> Corpus(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => new CorpusSegment(new string((char)('a' + rng.Next(26)), rng.Next(7)), rng.Next(3) > 0))
            .Append(new CorpusSegment("end", true))
            .ToList();
    }

    private static int[] Encode(string text) => text.Select(c => (int)c).ToArray();

    private static IEnumerable<int> Tokens(IEnumerable<CorpusSegment> corpus) =>
        corpus.SelectMany(s => s.EndsDocument ? Encode(s.Text).Append(Eot) : Encode(s.Text));

    private static PackedTokenStream Open(List<CorpusSegment> corpus, PackedStreamOptions options, StreamPosition? at = null) =>
        new(() => corpus, Encode, options, at);

    private static List<int[]> Take(PackedTokenStream stream, int count)
    {
        var chunks = new List<int[]>();
        while (chunks.Count < count && stream.TryNext(out var chunk)) chunks.Add(chunk);
        return chunks;
    }

    [Fact]
    public void Chunks_are_the_corpus_tokens_with_end_of_text_pass_after_pass()
    {
        var corpus = Corpus(40, seed: 1);
        var once = Tokens(corpus).ToArray();
        using var stream = Open(corpus, new PackedStreamOptions { ChunkSize = 5, EndOfText = Eot, Epochs = 3 });
        var chunks = Take(stream, int.MaxValue);

        Assert.Equal(3 * once.Length / 5, chunks.Count);
        Assert.All(chunks, c => Assert.Equal(5, c.Length));
        var expected = once.Concat(once).Concat(once).Take(chunks.Count * 5);
        Assert.Equal(expected, chunks.SelectMany(c => c));
        Assert.False(stream.TryNext(out _));
    }

    [Theory]
    [InlineData(1, null, 1)]
    [InlineData(3, null, 1)]
    [InlineData(7, 11L, 4)]
    [InlineData(50, 12L, 3)]
    [InlineData(4, 13L, 1)]
    public void A_stream_reopened_at_a_saved_position_continues_exactly(int chunkSize, long? seed, int window)
    {
        var corpus = Corpus(60, seed: 2);
        var options = new PackedStreamOptions { ChunkSize = chunkSize, EndOfText = Eot, ShuffleSeed = seed, ShuffleWindow = window };
        using var original = Open(corpus, options);
        var positions = new List<string>();
        var chunks = new List<int[]>();
        // Long enough to cross several passes over the corpus.
        int total = 3 * Tokens(corpus).Count() / chunkSize + 20;
        for (int i = 0; i < total; i++)
        {
            positions.Add(original.Position.ToJson());
            Assert.True(original.TryNext(out var chunk));
            chunks.Add(chunk);
        }
        Assert.True(positions.Select(p => StreamPosition.Parse(p).Epoch).Max() >= 2);

        for (int k = 0; k < total - 10; k += 1 + k / 7)
        {
            using var resumed = Open(corpus, options, StreamPosition.Parse(positions[k]));
            Assert.Equal(positions[k], resumed.Position.ToJson());
            var again = Take(resumed, 10);
            for (int j = 0; j < 10; j++) Assert.True(chunks[k + j].SequenceEqual(again[j]), $"chunk {k + j} differs after resuming at {k}");
        }
    }

    [Fact]
    public void Resuming_skips_segments_without_encoding_them()
    {
        var corpus = Corpus(200, seed: 3);
        var options = new PackedStreamOptions { ChunkSize = 16, EndOfText = Eot };
        using var original = Open(corpus, options);
        Take(original, 30);
        int encoded = 0;
        using var resumed = new PackedTokenStream(() => corpus, t => { encoded++; return Encode(t); }, options, original.Position);
        Assert.Equal(1, encoded);
        // Each segment is encoded once per pass: cost linear in the corpus.
        int passTokens = Tokens(corpus).Count();
        Take(resumed, 2 * passTokens / 16);
        Assert.InRange(encoded, 2 * corpus.Count - 10, 2 * corpus.Count + 10);
    }

    [Fact]
    public void Seeded_shuffle_permutes_chunks_within_windows()
    {
        var corpus = Corpus(300, seed: 4);
        PackedStreamOptions Options(long? seed) => new() { ChunkSize = 3, EndOfText = Eot, Epochs = 1, ShuffleSeed = seed, ShuffleWindow = 8 };
        var plain = Take(Open(corpus, Options(null)), int.MaxValue);
        var a = Take(Open(corpus, Options(5)), int.MaxValue);
        var b = Take(Open(corpus, Options(5)), int.MaxValue);
        var c = Take(Open(corpus, Options(6)), int.MaxValue);

        Assert.Equal(plain.Count, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(plain, a);
        for (int w = 0; w < plain.Count; w += 8)
        {
            var expected = plain.Skip(w).Take(8).Select(Key).Order();
            Assert.Equal(expected, a.Skip(w).Take(8).Select(Key).Order());
        }

        static string Key(int[] chunk) => string.Join(",", chunk);
    }

    [Fact]
    public void An_empty_corpus_is_an_error_not_an_endless_loop()
    {
        var options = new PackedStreamOptions { ChunkSize = 4, EndOfText = Eot };
        using var none = Open([], options);
        Assert.Throws<GlmException>(() => none.TryNext(out _));
        using var blank = Open([new CorpusSegment("", false), new CorpusSegment("", false)], options);
        Assert.Throws<GlmException>(() => blank.TryNext(out _));
    }

    [Fact]
    public void A_position_past_the_corpus_is_an_error()
    {
        var corpus = Corpus(5, seed: 5);
        var options = new PackedStreamOptions { ChunkSize = 4, EndOfText = Eot };
        Assert.Throws<GlmException>(() => Open(corpus, options, new StreamPosition { Segment = 100 }));
        Assert.Throws<GlmException>(() => Open(corpus, options, new StreamPosition { Segment = 5, TokenOffset = 10 }));
    }

    [Fact]
    public void Positions_serialize_as_snake_case_json()
    {
        var position = new StreamPosition { Epoch = 2, Segment = 31, TokenOffset = 7, Window = 90, Taken = 3 };
        string json = position.ToJson();
        Assert.Equal("""{"epoch":2,"segment":31,"token_offset":7,"window":90,"taken":3}""", json);
        Assert.Equal(position, StreamPosition.Parse(json));
        Assert.Equal(position, JsonSerializer.Deserialize<StreamPosition>(json));
        Assert.Throws<GlmException>(() => StreamPosition.Parse("not json"));
        Assert.Throws<GlmException>(() => StreamPosition.Parse("""{"epoch":-1}"""));
        Assert.Throws<GlmException>(() => StreamPosition.Parse("null"));
    }

    [Fact]
    public void Options_are_validated()
    {
        var ok = new PackedStreamOptions { ChunkSize = 4, EndOfText = 0 };
        Assert.Same(ok, ok.Validate());
        Assert.Throws<GlmException>(() => (ok with { ChunkSize = 0 }).Validate());
        Assert.Throws<GlmException>(() => (ok with { Epochs = 0 }).Validate());
        Assert.Throws<GlmException>(() => (ok with { ShuffleWindow = 0 }).Validate());
        Assert.Throws<GlmException>(() => (ok with { EndOfText = -1 }).Validate());
    }
}
