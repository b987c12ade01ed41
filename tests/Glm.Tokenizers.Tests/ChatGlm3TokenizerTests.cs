using System.Text;
using Glm.Core;

namespace Glm.Tokenizers.Tests;

public sealed class ChatGlm3TokenizerTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly int pieces;
    private readonly ChatGlm3Tokenizer tokenizer;

    public ChatGlm3TokenizerTests()
    {
        string path = folder.File("tokenizer.model");
        pieces = TinyModels.WriteSentencePiece(path);
        tokenizer = ChatGlm3Tokenizer.Load(path);
    }

    public void Dispose() => folder.Dispose();

    private static int Piece(string piece) => 3 + 256 + Array.IndexOf(TinyModels.SentencePieces, piece);

    [Fact]
    public void SpecialsFollowThePiecesInTheSpecsOrder()
    {
        // glm-spec 3.2: [MASK] = 64789 = the number of pieces, then [gMASK], [sMASK], sop, eop and the four roles.
        var s = tokenizer.Special;
        Assert.Equal(Enumerable.Range(pieces, 9), [s.Mask, s.GMask, s.SMask, s.Sop, s.Eop, s.System, s.User, s.Assistant, s.Observation]);
        Assert.Equal(2, s.EndOfText); // eos </s>
        Assert.Equal(pieces + 9, tokenizer.VocabSize);
        Assert.Equal("<|observation|>", tokenizer.TokenText(pieces + 8));
        Assert.True(tokenizer.IsSpecial(2));
        Assert.False(tokenizer.IsSpecial(Piece("▁hello")));
    }

    [Fact]
    public void EncodesWithTheDummyPrefixAndByteFallback()
    {
        Assert.Equal([Piece("▁hello"), Piece("▁world")], tokenizer.Encode("hello world"));
        Assert.Equal([Piece("▁"), 13], tokenizer.Encode("\n")); // the spec's "\n" -> [30910, 13] shape
        Assert.Equal([Piece("▁你好")], tokenizer.Encode("你好"));
        Assert.Equal([Piece("▁"), 3 + 0xE2, 3 + 0x82, 3 + 0xAC], tokenizer.Encode("€")); // not a piece: its UTF-8 bytes
        Assert.Equal("▁hello", tokenizer.TokenText(Piece("▁hello")));
        Assert.Equal("<0x0A>", tokenizer.TokenText(13));
    }

    [Fact]
    public void RandomTextRoundTrips()
    {
        var random = new Random(51);
        for (int i = 0; i < 1000; i++)
        {
            string text = TestText.RandomString(random);
            int[] ids = tokenizer.Encode(text);
            Assert.Equal(text, tokenizer.Decode(ids));
            Assert.Equal(ids, tokenizer.EncodeBytes(Encoding.UTF8.GetBytes(text)));
        }
    }

    [Fact]
    public void RandomBytesRoundTrip()
    {
        var random = new Random(52);
        for (int i = 0; i < 1000; i++)
        {
            byte[] bytes = TestText.RandomBytes(random);
            Assert.Equal(bytes, tokenizer.DecodeBytes(tokenizer.EncodeBytes(bytes)));
        }
    }

    [Fact]
    public void SpecialTextIsPlainUnlessTrusted()
    {
        string text = "<|user|>hello[MASK]";
        Assert.DoesNotContain(tokenizer.Encode(text), tokenizer.IsSpecial);
        var s = tokenizer.Special;
        int[] ids = tokenizer.EncodeWithSpecialTokens(text);
        Assert.Equal([s.User, .. tokenizer.Encode("hello"), s.Mask], ids);
        Assert.Equal(text, tokenizer.Decode(ids)); // each segment's dummy prefix is dropped again
        Assert.Equal("hello", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void NotASentencePieceFileIsAClearError()
    {
        string bad = folder.File("bad.model");
        File.WriteAllBytes(bad, [0xFF, 0xFF, 0xFF, 0x01, 0x02]);
        var e = Assert.Throws<GlmException>(() => ChatGlm3Tokenizer.Load(bad));
        Assert.Contains(bad, e.Message);
        Assert.Contains("not a SentencePiece model", e.Message);
    }

    [Fact]
    public void MissingFileIsAClearError()
    {
        string absent = folder.File("absent.model");
        var e = Assert.Throws<GlmException>(() => ChatGlm3Tokenizer.Load(absent));
        Assert.Contains(absent, e.Message);
    }
}
