using System.Text.Json;
using System.Text.Json.Nodes;
using Glm.Core;

namespace Glm.Tokenizers.Tests;

public class TokenizerJsonTests
{
    private static readonly ByteLevelBpeTokenizer Tokenizer = TrainedTokenizer.Instance;

    [Fact]
    public void SaveThenLoadGivesIdenticalEncodings()
    {
        using var folder = new TempFolder();
        string path = folder.File("tokenizer.json");
        Tokenizer.Save(path);
        var loaded = ByteLevelBpeTokenizer.Load(path);

        Assert.Equal(Tokenizer.VocabSize, loaded.VocabSize);
        Assert.Equal(Tokenizer.Special, loaded.Special);
        var random = new Random(31);
        for (int i = 0; i < 1000; i++)
        {
            string text = TestText.RandomString(random, 20);
            Assert.Equal(Tokenizer.Encode(text), loaded.Encode(text));
            Assert.Equal(Tokenizer.EncodeWithSpecialTokens(text), loaded.EncodeWithSpecialTokens(text));
        }
        Assert.Equal([path], Directory.GetFiles(folder.Path)); // no temporary file left behind
    }

    [Fact]
    public void WritesTheHuggingFaceLayout()
    {
        using var folder = new TempFolder();
        string path = folder.File("tokenizer.json");
        Tokenizer.Save(path);
        var root = JsonNode.Parse(File.ReadAllText(path))!;

        Assert.Equal("BPE", (string?)root["model"]!["type"]);
        var vocab = root["model"]!["vocab"]!.AsObject();
        Assert.Equal(256 + Tokenizer.MergeCount, vocab.Count);
        Assert.Equal(0x20, (int)vocab["Ġ"]!);   // GPT-2 byte alphabet: the space byte is spelled 'Ġ'
        Assert.Equal(0x0A, (int)vocab["Ċ"]!);
        Assert.Equal(Tokenizer.MergeCount, root["model"]!["merges"]!.AsArray().Count);

        var steps = root["pre_tokenizer"]!["pretokenizers"]!.AsArray();
        Assert.Equal("Split", (string?)steps[0]!["type"]);
        Assert.Equal(Glm4PreTokenizer.Pattern, (string?)steps[0]!["pattern"]!["Regex"]);
        Assert.Equal("Isolated", (string?)steps[0]!["behavior"]);
        Assert.Equal("ByteLevel", (string?)steps[1]!["type"]);
        Assert.False((bool)steps[1]!["use_regex"]!);
        Assert.Equal("ByteLevel", (string?)root["decoder"]!["type"]);

        var added = root["added_tokens"]!.AsArray();
        Assert.Equal(GlmSpecialTokens.Glm4Order, added.Select(t => (string)t!["content"]!));
        Assert.All(added, t => Assert.True((bool)t!["special"]!));
        Assert.Equal(Tokenizer.Special.EndOfText, (int)added[0]!["id"]!);
    }

    [Fact]
    public void MissingFileIsAClearError()
    {
        using var folder = new TempFolder();
        string path = folder.File("absent.json");
        var e = Assert.Throws<GlmException>(() => ByteLevelBpeTokenizer.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    public void UnreadableJsonIsAClearError(string content, string expected)
    {
        using var folder = new TempFolder();
        string path = folder.File("tokenizer.json");
        File.WriteAllText(path, content);
        var e = Assert.Throws<GlmException>(() => ByteLevelBpeTokenizer.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "pattern", "GLM-4 pattern" },
        { "merge", "is not two vocab entries" },
        { "byte", "lacks the single byte 0xFF" },
        { "special", "not special" },
        { "gap", "without gaps" },
        { "vocab", "\"vocab\" is missing" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void CorruptContentIsAClearError(string corruption, string expected)
    {
        using var folder = new TempFolder();
        string path = folder.File("tokenizer.json");
        Tokenizer.Save(path);
        var root = JsonNode.Parse(File.ReadAllText(path))!;
        var model = root["model"]!.AsObject();
        switch (corruption)
        {
            case "pattern": root["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = @"\w+"; break;
            case "merge": model["merges"]!.AsArray().Add("Ġ nosuchtoken"); break;
            case "byte": Swap(model["vocab"]!.AsObject(), "ÿ"); break; // 0xFF: never in UTF-8 text, so in no merge
            case "special": root["added_tokens"]![0]!["special"] = false; break;
            case "gap": model["vocab"]!.AsObject()["Ā"] = 999_999; break;
            case "vocab": model.Remove("vocab"); break;
        }
        File.WriteAllText(path, root.ToJsonString());
        var e = Assert.Throws<GlmException>(() => ByteLevelBpeTokenizer.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);

        // Renames the entry for one byte so the vocabulary no longer contains that byte on its own.
        static void Swap(JsonObject vocab, string key)
        {
            int id = (int)vocab[key]!;
            vocab.Remove(key);
            vocab["ĀĀĀ"] = id;
        }
    }

    [Fact]
    public void SavingIntoAMissingFolderIsAClearError()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "no", "such", "tokenizer.json");
        var e = Assert.Throws<GlmException>(() => Tokenizer.Save(path));
        Assert.Contains(path, e.Message);
    }
}
