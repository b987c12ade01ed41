using System.Text;
using Glm.Core;

namespace Glm.Tokenizers.Tests;

public class ByteLevelBpeTokenizerTests
{
    private static readonly ByteLevelBpeTokenizer Tokenizer = TrainedTokenizer.Instance;

    [Fact]
    public void RandomStringsRoundTrip()
    {
        var random = new Random(21);
        for (int i = 0; i < 3000; i++)
        {
            string text = TestText.RandomString(random, 20);
            int[] ids = Tokenizer.Encode(text);
            Assert.Equal(text, Tokenizer.Decode(ids));
            Assert.Equal(Encoding.UTF8.GetBytes(text), Tokenizer.DecodeBytes(ids));
            Assert.Equal(ids, Tokenizer.EncodeBytes(Encoding.UTF8.GetBytes(text)));
        }
    }

    [Fact]
    public void RandomBytesRoundTripIncludingInvalidUtf8()
    {
        var random = new Random(22);
        for (int i = 0; i < 3000; i++)
        {
            byte[] bytes = TestText.RandomBytes(random, 60);
            Assert.Equal(bytes, Tokenizer.DecodeBytes(Tokenizer.EncodeBytes(bytes)));
        }
    }

    [Fact]
    public void LoneSurrogatesRoundTripAsBytesAndBecomeReplacementCharactersInStrings()
    {
        byte[] encodedSurrogates = [0x61, 0xED, 0xA0, 0x80, 0x20, 0xED, 0xBF, 0xBF, 0x62]; // "a", U+D800, " ", U+DFFF, "b" as generalized UTF-8
        Assert.Equal(encodedSurrogates, Tokenizer.DecodeBytes(Tokenizer.EncodeBytes(encodedSurrogates)));
        Assert.Equal("a\uFFFD b", Tokenizer.Decode(Tokenizer.Encode("a\uD800 b")));
    }

    [Fact]
    public void SpecialsFollowTheMergeableTokensInGlm4Order()
    {
        int first = Tokenizer.VocabSize - GlmSpecialTokens.Glm4Order.Count;
        Assert.Equal(256 + Tokenizer.MergeCount, first);
        var s = Tokenizer.Special;
        Assert.Equal(
            Enumerable.Range(first, 10),
            [s.EndOfText, s.Mask, s.GMask, s.SMask, s.Sop, s.Eop, s.System, s.User, s.Assistant, s.Observation]);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(GlmSpecialTokens.Glm4Order[i], Tokenizer.TokenText(first + i));
            Assert.True(Tokenizer.IsSpecial(first + i));
        }
        Assert.False(Tokenizer.IsSpecial(first - 1));
    }

    [Fact]
    public void OrdinaryEncodingNeverYieldsSpecialIds()
    {
        var random = new Random(23);
        foreach (string special in GlmSpecialTokens.Glm4Order)
        {
            string text = $"x{special} {special}{special}\n{special}";
            Assert.DoesNotContain(Tokenizer.Encode(text), Tokenizer.IsSpecial);
            Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text)));
        }
        for (int i = 0; i < 1000; i++)
        {
            Assert.DoesNotContain(Tokenizer.Encode(TestText.RandomString(random)), Tokenizer.IsSpecial);
            Assert.DoesNotContain(Tokenizer.EncodeBytes(TestText.RandomBytes(random)), Tokenizer.IsSpecial);
        }
    }

    [Fact]
    public void EncodeWithSpecialTokensTurnsSpecialStringsIntoTheirIds()
    {
        int[] ids = Tokenizer.EncodeWithSpecialTokens("The [MASK] sat on [gMASK]<sop>");
        Assert.Equal([.. Tokenizer.Encode("The "), Tokenizer.Special.Mask, .. Tokenizer.Encode(" sat on "), Tokenizer.Special.GMask, Tokenizer.Special.Sop], ids);
        Assert.Equal("The [MASK] sat on [gMASK]<sop>", Tokenizer.Decode(ids));
        Assert.Equal("The  sat on ", Tokenizer.Decode(ids, skipSpecialTokens: true));

        var random = new Random(24);
        for (int i = 0; i < 1000; i++)
        {
            string text = TestText.RandomString(random);
            Assert.Equal(text, Tokenizer.Decode(Tokenizer.EncodeWithSpecialTokens(text)));
        }
    }

    [Fact]
    public void TokenTextShowsBytesThatAreNotUtf8OnTheirOwn()
    {
        Assert.Equal("a", Tokenizer.TokenText('a'));
        Assert.Equal("\\xE4", Tokenizer.TokenText(0xE4));
    }

    [Fact]
    public void IdsOutsideTheVocabularyAreRejectedClearly()
    {
        var e = Assert.Throws<GlmException>(() => Tokenizer.Decode([Tokenizer.VocabSize]));
        Assert.Contains($"token id {Tokenizer.VocabSize}", e.Message);
        Assert.Throws<GlmException>(() => Tokenizer.TokenText(-1));
    }

    [Fact]
    public void ConcurrentEncodingGivesTheSameIds()
    {
        var random = new Random(25);
        string[] texts = [.. Enumerable.Range(0, 400).Select(_ => TestText.RandomString(random))];
        int[][] expected = [.. texts.Select(Tokenizer.Encode)];
        var fresh = ByteLevelBpeTokenizer.FromMerges(Tokenizer.Merges); // empty cache, filled from many threads at once
        Parallel.For(0, 4000, i => Assert.Equal(expected[i % texts.Length], fresh.Encode(texts[i % texts.Length])));
    }
}
