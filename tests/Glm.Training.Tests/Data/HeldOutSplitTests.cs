using System.Text;
using Glm.Training.Data;

namespace Glm.Training.Tests.Data;

public sealed class HeldOutSplitTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Every_twentieth_segment_is_held_out()
    {
        var held = Enumerable.Range(0, 100).Where(i => HeldOutSplit.IsHeldOut(i)).ToArray();
        Assert.Equal([19, 39, 59, 79, 99], held);

        var segments = Enumerable.Range(0, 100).Select(i => new CorpusSegment($"s{i}", true)).ToList();
        var training = HeldOutSplit.Training(segments).Select(s => s.Text).ToList();
        var heldOut = HeldOutSplit.HeldOut(segments).Select(s => s.Text).ToList();
        Assert.Equal(held.Select(i => $"s{i}"), heldOut);
        Assert.Equal(95, training.Count);
        Assert.Empty(training.Intersect(heldOut));
    }

    [Fact]
    public void One_shakespeare_sized_file_still_gets_about_5_percent_held_out()
    {
        // tiny-shakespeare is one 1,115,394-character file of short lines, without separators.
        var rng = new Random(12);
        var text = new StringBuilder();
        for (int line = 0; text.Length < 1_115_394; line++)
            text.Append($"L{line} ").Append('w', rng.Next(0, 60)).Append('\n');
        var file = _dir.Write("input.txt", text.ToString());

        long heldOut = HeldOutSplit.HeldOut(CorpusReader.ReadSegments([file])).Sum(s => (long)s.Text.Length);
        long training = HeldOutSplit.Training(CorpusReader.ReadSegments([file])).Sum(s => (long)s.Text.Length);
        Assert.InRange(heldOut / (double)(heldOut + training), 0.035, 0.06);
    }

    [Fact]
    public void A_training_stream_never_sees_held_out_documents()
    {
        // Document i is the word "i" five times; encode turns words into ids.
        var lines = Enumerable.Range(0, 200).Select(i => $"{{\"text\": \"{string.Join(' ', Enumerable.Repeat(i, 5))}\"}}");
        var file = _dir.Write("docs.jsonl", string.Join("\n", lines));
        const int eot = 100_000;
        var options = new PackedStreamOptions { ChunkSize = 7, EndOfText = eot, Epochs = 1 };
        using var stream = new PackedTokenStream(
            () => HeldOutSplit.Training(CorpusReader.ReadSegments([file])),
            text => text.Split(' ').Select(int.Parse).ToArray(), options);

        var seen = new HashSet<int>();
        while (stream.TryNext(out var chunk)) seen.UnionWith(chunk);
        seen.Remove(eot);
        var heldOut = Enumerable.Range(0, 200).Where(i => HeldOutSplit.IsHeldOut(i)).ToList();
        Assert.Empty(seen.Intersect(heldOut));
        // 190 documents of 6 tokens is 1140 tokens = 162 full chunks; the last 6 tokens are dropped.
        Assert.Equal(Enumerable.Range(0, 200).Except(heldOut).SkipLast(1), seen.Order());
    }
}
