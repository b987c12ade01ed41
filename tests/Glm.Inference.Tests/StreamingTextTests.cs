using System.Text;
using Glm.Inference.Generation;
using Glm.Tokenizers;

namespace Glm.Inference.Tests;

public sealed class StreamingTextTests
{
    private static readonly ByteLevelBpeTokenizer Tokenizer =
        BpeTrainer.Train(["hello world, hello there", "中文 text 😀 and more"], new BpeTrainerOptions { VocabSize = 280, MinFrequency = 1 });

    [Theory]
    [InlineData("你好，世界")]
    [InlineData("emoji 😀👍🏽 end")]
    [InlineData("mixed 中文 and é text 🎉")]
    public void Incremental_decoding_never_emits_a_partial_character(string text)
    {
        int[] ids = Tokenizer.Encode(text);
        Assert.True(ids.Length > new System.Globalization.StringInfo(text).LengthInTextElements / 2, "the test needs characters split across tokens");
        var decoder = new Utf8StreamDecoder(Tokenizer);
        var output = new StringBuilder();
        int emptyChunks = 0;
        foreach (int id in ids)
        {
            string chunk = decoder.Append(id);
            Assert.DoesNotContain('\uFFFD', chunk);
            if (chunk.Length > 0) Assert.False(char.IsHighSurrogate(chunk[^1]), "a chunk ends inside a surrogate pair");
            if (chunk.Length == 0) emptyChunks++;
            output.Append(chunk);
        }
        output.Append(decoder.Flush());
        Assert.Equal(text, output.ToString());
        Assert.True(emptyChunks > 0, "some token should have ended mid-character");
    }

    [Fact]
    public void Complete_length_stops_before_an_unfinished_sequence()
    {
        byte[] emoji = Encoding.UTF8.GetBytes("a😀");
        for (int n = 0; n <= emoji.Length; n++)
            Assert.Equal(n == emoji.Length ? n : Math.Min(n, 1), Utf8StreamDecoder.CompleteLength(emoji.AsSpan(0, n)));
        Assert.Equal(2, Utf8StreamDecoder.CompleteLength("é"u8));
        Assert.Equal(1, Utf8StreamDecoder.CompleteLength([0x41, 0xE4, 0xB8]));
    }

    [Fact]
    public void Flush_replaces_an_unfinished_character()
    {
        var decoder = new Utf8StreamDecoder(Tokenizer);
        int[] ids = Tokenizer.EncodeBytes(Encoding.UTF8.GetBytes("中")[..2]);
        foreach (int id in ids) Assert.Equal("", decoder.Append(id));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Fact]
    public void Stop_strings_are_held_back_and_cut()
    {
        var stops = new StopStrings(["<END>"]);
        var output = new StringBuilder();
        foreach (string chunk in new[] { "Hello <", "EN", "D> ignored" }) output.Append(stops.Push(chunk));
        Assert.True(stops.Stopped);
        Assert.Equal("Hello ", output.ToString());

        var open = new StopStrings(["<END>"]);
        Assert.Equal("a ", open.Push("a <"));
        Assert.Equal("<b", open.Push("b"));
        Assert.Equal("", open.Flush());
        Assert.False(open.Stopped);
    }
}
