using System.Text;
using Glm.Core;

namespace Glm.Tokenizers.Tests;

public class BpeTrainerTests
{
    private static List<string> Corpus(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 12).Select(i => TestText.EnglishText(seed + i, 200)),
                .. Enumerable.Range(0, 30).Select(_ => TestText.RandomString(random, 20))];
    }

    // Recounts every pair before every merge: slow and obviously right, the reference for the incremental learner.
    private static (List<(int, int)> Merges, List<List<int>> Words) ReferenceTrain(
        List<(byte[] Bytes, long Count)> pieces, int wanted, long minFrequency)
    {
        var words = pieces.Select(p => p.Bytes.Select(b => (int)b).ToList()).ToList();
        var merges = new List<(int, int)>();
        while (merges.Count < wanted)
        {
            var counts = new Dictionary<(int, int), long>();
            for (int w = 0; w < words.Count; w++)
                for (int i = 0; i + 1 < words[w].Count; i++)
                    counts[(words[w][i], words[w][i + 1])] = counts.GetValueOrDefault((words[w][i], words[w][i + 1])) + pieces[w].Count;
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First();
            if (best.Value < minFrequency) break;

            int merged = 256 + merges.Count;
            merges.Add(best.Key);
            foreach (var word in words)
            {
                for (int i = 0; i + 1 < word.Count; i++)
                {
                    if ((word[i], word[i + 1]) != best.Key) continue;
                    word[i] = merged;
                    word.RemoveAt(i + 1);
                }
            }
        }
        return (merges, words);
    }

    [Fact]
    public void LearnsTheSameMergesAsRecountingFromScratch()
    {
        var options = new BpeTrainerOptions { VocabSize = 266 + 200, MinFrequency = 2 };
        var documents = Corpus(1);
        var pieces = BpeTrainer.CountPieces(documents, options, null, default);
        var (expectedMerges, expectedWords) = ReferenceTrain(pieces, 200, 2);

        var tokenizer = BpeTrainer.Train(documents, options);
        Assert.Equal(expectedMerges, tokenizer.Merges);

        // Encoding a training piece reproduces the segmentation training ended with.
        for (int w = 0; w < pieces.Count; w++) Assert.Equal(expectedWords[w], tokenizer.EncodeBytes(pieces[w].Bytes));
    }

    [Fact]
    public void CountsPiecesOfTheGlm4Pattern()
    {
        var pieces = BpeTrainer.CountPieces(["the cat, the cat", "the dog"], new BpeTrainerOptions(), null, default)
            .ToDictionary(p => Encoding.UTF8.GetString(p.Bytes), p => p.Count);
        // "," is one byte and carries no pair, so it is not counted.
        Assert.Equal(new Dictionary<string, long> { ["the"] = 2, [" the"] = 1, [" cat"] = 2, [" dog"] = 1 }, pieces);
    }

    [Fact]
    public void TheMostFrequentPairMergesFirst()
    {
        var tokenizer = BpeTrainer.Train(["ab ab ab cd"], new BpeTrainerOptions { VocabSize = 267, MinFrequency = 1 });
        Assert.Equal(1, tokenizer.MergeCount);
        Assert.Equal("ab", tokenizer.TokenText(256));
        Assert.Equal(267, tokenizer.VocabSize);
    }

    [Fact]
    public void TrainingIsDeterministicAndIgnoresDocumentOrder()
    {
        var options = new BpeTrainerOptions { VocabSize = 600 };
        var documents = Corpus(2);
        var first = BpeTrainer.Train(documents, options);
        var again = BpeTrainer.Train(documents, options);
        var reversed = BpeTrainer.Train(Enumerable.Reverse(documents), options);
        Assert.Equal(first.Merges, again.Merges);
        Assert.Equal(first.Merges, reversed.Merges);
    }

    [Fact]
    public void TrainedMergesCompressEnglish()
    {
        var tokenizer = BpeTrainer.Train(Enumerable.Range(0, 20).Select(i => TestText.EnglishText(i, 400)), new BpeTrainerOptions { VocabSize = 500 });
        string heldOut = TestText.EnglishText(999, 400);
        int bytes = Encoding.UTF8.GetByteCount(heldOut), tokens = tokenizer.Encode(heldOut).Length;
        Assert.True(tokens * 3 < bytes, $"{tokens} tokens for {bytes} bytes");
        Assert.Single(tokenizer.Encode(" castle"));
    }

    [Fact]
    public void StopsEarlyWhenNoPairIsFrequentEnough()
    {
        var tokenizer = BpeTrainer.Train(["abc abc xyz"], new BpeTrainerOptions { VocabSize = 5000, MinFrequency = 2 });
        // Pieces "abc", " abc", " xyz": (a, b) and (b, c) reach 2 and the smaller ids win the tie; then (ab, c) reaches 2.
        Assert.Equal(["ab", "abc"], Enumerable.Range(256, tokenizer.MergeCount).Select(tokenizer.TokenText));
        Assert.Equal(256 + 2 + 10, tokenizer.VocabSize);
    }

    [Fact]
    public void ReportsBothPhasesUpToTheirTotals()
    {
        var reports = new List<BpeTrainingProgress>();
        var progress = new SynchronousProgress(reports);
        var documents = Corpus(3);
        var tokenizer = BpeTrainer.Train(documents, new BpeTrainerOptions { VocabSize = 400 }, progress);

        var counting = reports.Where(r => r.Phase == BpeTrainingPhase.Counting).ToList();
        var merging = reports.Where(r => r.Phase == BpeTrainingPhase.Merging).ToList();
        Assert.Equal(new BpeTrainingProgress(BpeTrainingPhase.Counting, documents.Count, documents.Count), counting[^1]);
        Assert.Equal(new BpeTrainingProgress(BpeTrainingPhase.Merging, tokenizer.MergeCount, 400 - 266), merging[^1]);
        Assert.True(reports.IndexOf(counting[^1]) < reports.IndexOf(merging[0]));
    }

    [Theory]
    [InlineData(266, 2, 256, 10, "VocabSize")]
    [InlineData(1000, 0, 256, 10, "MinFrequency")]
    [InlineData(1000, 2, 1, 10, "MaxPieceBytes")]
    [InlineData(1000, 2, 256, 0, "MaxDistinctPieces")]
    public void InvalidOptionsAreRejected(int vocab, int minFrequency, int maxPieceBytes, int maxDistinct, string field)
    {
        var options = new BpeTrainerOptions { VocabSize = vocab, MinFrequency = minFrequency, MaxPieceBytes = maxPieceBytes, MaxDistinctPieces = maxDistinct };
        var e = Assert.Throws<GlmException>(() => BpeTrainer.Train(["text"], options));
        Assert.StartsWith(field, e.Message);
    }

    [Fact]
    public void KeepsOnlyTheMostFrequentDistinctPieces()
    {
        var pieces = BpeTrainer.CountPieces(["aa aa aa bb bb cc"], new BpeTrainerOptions { MaxDistinctPieces = 2 }, null, default);
        // Counts: " aa" 2, " bb" 2, "aa" 1, " cc" 1; ties go in byte order.
        Assert.Equal([" aa", " bb"], pieces.Select(p => Encoding.UTF8.GetString(p.Bytes)));
    }

    private sealed class SynchronousProgress(List<BpeTrainingProgress> reports) : IProgress<BpeTrainingProgress>
    {
        public void Report(BpeTrainingProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }
}
