using System.Text;
using System.Text.RegularExpressions;
using Glm.Core;

namespace Glm.Tokenizers.Tests;

public sealed class Glm4TokenizerTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string path;
    private readonly int ranks;
    private readonly Glm4Tokenizer tokenizer;

    public Glm4TokenizerTests()
    {
        path = folder.File("tokenizer.model");
        ranks = TinyModels.WriteTiktoken(path);
        tokenizer = Glm4Tokenizer.Load(path);
    }

    public void Dispose() => folder.Dispose();

    [Fact]
    public void SpecialsTakeTheSpecsPositionsAfterTheRanks()
    {
        // glm-spec 3.3: <|endoftext|> = 151329 = the number of ranks, then the others in order.
        var s = tokenizer.Special;
        Assert.Equal(
            Enumerable.Range(ranks, 10),
            [s.EndOfText, s.Mask, s.GMask, s.SMask, s.Sop, s.Eop, s.System, s.User, s.Assistant, s.Observation]);
        Assert.Equal(ranks + 14, tokenizer.VocabSize);
        Assert.Equal("<|begin_of_image|>", tokenizer.TokenText(ranks + 10));
        Assert.Equal("<|end_of_video|>", tokenizer.TokenText(ranks + 13));
        Assert.True(tokenizer.IsSpecial(ranks + 13));
        Assert.False(tokenizer.IsSpecial(ranks - 1));
    }

    [Fact]
    public void EncodesLikeTiktoken()
    {
        var byBytes = File.ReadLines(path).Select(l => l.Split(' '))
            .ToDictionary(f => Convert.ToHexString(Convert.FromBase64String(f[0])), f => int.Parse(f[1]));
        var pattern = new Regex(Glm4PreTokenizer.Pattern);
        var random = new Random(41);
        string[] words = ["hello", " world", "he", "ll", "你好", "abc", " 1", "\n\n", " wor", "x", "!", "  "];
        for (int i = 0; i < 2000; i++)
        {
            string text = string.Concat(Enumerable.Range(0, random.Next(10)).Select(_ => words[random.Next(words.Length)]));
            var expected = pattern.Matches(text).SelectMany(m => ReferencePiece(Encoding.UTF8.GetBytes(m.Value), byBytes));
            Assert.Equal(expected, tokenizer.Encode(text));
        }
    }

    // tiktoken: a piece that is a token is emitted whole; otherwise repeatedly merge the lowest-ranked adjacent pair.
    private static List<int> ReferencePiece(byte[] piece, Dictionary<string, int> ranks)
    {
        var parts = piece.Select(b => new[] { b }).ToList();
        int? Rank(byte[] b) => ranks.TryGetValue(Convert.ToHexString(b), out int r) ? r : null;
        if (Rank(piece) is int whole) return [whole];
        while (true)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < parts.Count; i++)
            {
                if (Rank([.. parts[i], .. parts[i + 1]]) is int r && r < bestRank) (best, bestRank) = (i, r);
            }
            if (best < 0) return [.. parts.Select(p => Rank(p)!.Value)];
            parts[best] = [.. parts[best], .. parts[best + 1]];
            parts.RemoveAt(best + 1);
        }
    }

    [Fact]
    public void WholeWordsInTheFileBecomeOneToken()
    {
        int hello = ranks - TinyModels.TiktokenMerges.Length + Array.IndexOf(TinyModels.TiktokenMerges, "hello");
        int world = ranks - TinyModels.TiktokenMerges.Length + Array.IndexOf(TinyModels.TiktokenMerges, " world");
        Assert.Equal([hello, world], tokenizer.Encode("hello world"));
    }

    [Fact]
    public void OrdinaryEncodingNeverYieldsSpecialsButTrustedEncodingDoes()
    {
        string text = "[gMASK]<sop><|user|>\nhello<|assistant|>";
        Assert.DoesNotContain(tokenizer.Encode(text), tokenizer.IsSpecial);
        var s = tokenizer.Special;
        Assert.Equal([s.GMask, s.Sop, s.User, .. tokenizer.Encode("\nhello"), s.Assistant], tokenizer.EncodeWithSpecialTokens(text));
        Assert.Equal(text, tokenizer.Decode(tokenizer.EncodeWithSpecialTokens(text)));
    }

    [Fact]
    public void RandomTextAndBytesRoundTrip()
    {
        var random = new Random(42);
        for (int i = 0; i < 2000; i++)
        {
            string text = TestText.RandomString(random);
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
            byte[] bytes = TestText.RandomBytes(random);
            Assert.Equal(bytes, tokenizer.DecodeBytes(tokenizer.EncodeBytes(bytes)));
        }
    }

    [Theory]
    [InlineData("aGk= 0\n!!! 1\n", "line 2")]
    [InlineData("aGk= 0\naGk= 2\n", "rank 2, expected 1")]
    [InlineData("aGk=\n", "expected \"base64 rank\"")]
    [InlineData("aGk= 0\n", "no rank for the single byte 0x00")]
    [InlineData("", "has no ranks")]
    public void CorruptFilesAreClearErrors(string content, string expected)
    {
        string bad = folder.File("bad.model");
        File.WriteAllText(bad, content);
        var e = Assert.Throws<GlmException>(() => Glm4Tokenizer.Load(bad));
        Assert.Contains(bad, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFileIsAClearError()
    {
        string absent = folder.File("absent.model");
        var e = Assert.Throws<GlmException>(() => Glm4Tokenizer.Load(absent));
        Assert.Contains(absent, e.Message);
    }
}
