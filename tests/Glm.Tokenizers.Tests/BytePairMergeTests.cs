using System.Text;

namespace Glm.Tokenizers.Tests;

public class BytePairMergeTests
{
    // tiktoken's _byte_pair_merge, transcribed literally (linear rescans): the independent reference.
    private static List<int> ReferenceMerge(byte[] piece, Dictionary<string, int> ranks)
    {
        string Key(int from, int to) => Convert.ToHexString(piece, from, to - from);
        int Rank(List<int> parts, int i) =>
            i + 2 < parts.Count && ranks.TryGetValue(Key(parts[i], parts[i + 2]), out int r) ? r : int.MaxValue;

        var boundaries = Enumerable.Range(0, piece.Length + 1).ToList();
        while (true)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 2 < boundaries.Count; i++)
            {
                int r = Rank(boundaries, i);
                if (r < bestRank) (best, bestRank) = (i, r);
            }
            if (best < 0) break;
            boundaries.RemoveAt(best + 1);
        }
        return [.. Enumerable.Range(0, boundaries.Count - 1).Select(i => ranks[Key(boundaries[i], boundaries[i + 1])])];
    }

    [Fact]
    public void AgreesWithTiktokensLinearScanOnRandomVocabularies()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            // Bytes 'a'..'d' get ranks 0..3; then random multi-byte tokens over that alphabet get the next ranks.
            var tokens = new List<byte[]> { "a"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray(), "d"u8.ToArray() };
            var seen = new HashSet<string>(tokens.Select(Convert.ToHexString));
            while (tokens.Count < 30)
            {
                byte[] t = [.. Enumerable.Range(0, random.Next(2, 5)).Select(_ => (byte)('a' + random.Next(4)))];
                if (seen.Add(Convert.ToHexString(t))) tokens.Add(t);
            }
            var ranks = tokens.Select((t, i) => (Convert.ToHexString(t), i)).ToDictionary();
            var byRank = new Dictionary<byte[], int>(ByteSequenceComparer.Instance);
            for (int i = 0; i < tokens.Count; i++) byRank[tokens[i]] = i;
            int[] byteIds = new int[256];
            for (int b = 0; b < 4; b++) byteIds['a' + b] = b;

            for (int k = 0; k < 20; k++)
            {
                byte[] piece = [.. Enumerable.Range(0, random.Next(1, 40)).Select(_ => (byte)('a' + random.Next(4)))];
                var actual = new List<int>();
                BytePairMerge.Encode(piece, new RankMergeRule(byRank.GetAlternateLookup<ReadOnlySpan<byte>>()), byteIds, actual);
                Assert.Equal(ReferenceMerge(piece, ranks), actual);
            }
        }
    }

    [Fact]
    public void MergesALongPieceWithoutQuadraticRescans()
    {
        // 128 KiB without a break: tiktoken-style rescans would take minutes here, the heap takes well under a second.
        byte[] piece = Encoding.ASCII.GetBytes(new string('a', 1 << 17));
        var byRank = new Dictionary<byte[], int>(ByteSequenceComparer.Instance) { ["a"u8.ToArray()] = 0, ["aa"u8.ToArray()] = 1 };
        int[] byteIds = new int[256];
        var output = new List<int>();
        BytePairMerge.Encode(piece, new RankMergeRule(byRank.GetAlternateLookup<ReadOnlySpan<byte>>()), byteIds, output);
        Assert.Equal(1 << 16, output.Count);
        Assert.All(output, id => Assert.Equal(1, id));
    }
}
