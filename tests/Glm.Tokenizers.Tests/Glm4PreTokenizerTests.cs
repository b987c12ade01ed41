using System.Text;
using System.Text.RegularExpressions;

namespace Glm.Tokenizers.Tests;

public class Glm4PreTokenizerTests
{
    private static readonly Regex Reference = new(Glm4PreTokenizer.Pattern);

    private static List<string> Pieces(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var pieces = new List<string>();
        for (int start = 0; start < bytes.Length;)
        {
            int end = Glm4PreTokenizer.NextPieceEnd(bytes, start);
            Assert.True(end > start);
            pieces.Add(Encoding.UTF8.GetString(bytes, start, end - start));
            start = end;
        }
        return pieces;
    }

    // On text without astral characters .NET Regex implements the pattern exactly, so it is the reference there.
    [Fact]
    public void MatchesTheRegexOnRandomBmpText()
    {
        var random = new Random(11);
        for (int compared = 0; compared < 3000;)
        {
            string text = TestText.RandomString(random, 16);
            if (text.Any(char.IsSurrogate) || text.Contains('ſ')) continue;
            var expected = Reference.Matches(text).Select(m => m.Value).ToList();
            Assert.Equal(expected, Pieces(text));
            compared++;
        }
    }

    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("I'm here, they'LL go", new[] { "I", "'m", " here", ",", " they", "'LL", " go" })]
    [InlineData("12345 apples", new[] { "123", "45", " apples" })]
    [InlineData("a  b", new[] { "a", " ", " b" })]
    [InlineData("end  ", new[] { "end", "  " })]
    [InlineData("x \n\n y", new[] { "x", " \n\n", " y" })]
    [InlineData("ok!!\r\n", new[] { "ok", "!!\r\n" })]
    [InlineData("\n你好", new[] { "\n", "你好" })]
    public void SplitsAsTheSpecSays(string text, string[] expected) => Assert.Equal(expected, Pieces(text));

    // Pitfall 11: astral letters are \p{L} by code point, so they stay in one word (UTF-16 regex would split them).
    [Theory]
    [InlineData("𠀀𠀁𠀂", new[] { "𠀀𠀁𠀂" })]
    [InlineData("a 𝐀𝐁𝐂d", new[] { "a", " 𝐀𝐁𝐂d" })]
    [InlineData(" 😀😀!", new[] { " 😀😀!" })]
    [InlineData("x𝟙𝟚𝟛𝟜", new[] { "x", "𝟙𝟚𝟛", "𝟜" })]
    public void ClassifiesAstralCharactersByCodePoint(string text, string[] expected) => Assert.Equal(expected, Pieces(text));

    [Fact]
    public void InvalidBytesArePiecesOfTheirOwnAndNothingIsLost()
    {
        var random = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            byte[] bytes = TestText.RandomBytes(random);
            int covered = 0;
            for (int start = 0; start < bytes.Length;)
            {
                int end = Glm4PreTokenizer.NextPieceEnd(bytes, start);
                Assert.InRange(end, start + 1, bytes.Length);
                covered += end - start;
                start = end;
            }
            Assert.Equal(bytes.Length, covered);
        }
    }

    [Fact]
    public void NeverSplitsACodePoint()
    {
        var random = new Random(3);
        for (int i = 0; i < 2000; i++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(TestText.RandomString(random));
            for (int start = 0; start < bytes.Length;)
            {
                int end = Glm4PreTokenizer.NextPieceEnd(bytes, start);
                Assert.True(System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(start, end - start)));
                start = end;
            }
        }
    }
}
