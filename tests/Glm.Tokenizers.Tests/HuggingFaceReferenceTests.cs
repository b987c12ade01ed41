namespace Glm.Tokenizers.Tests;

/// <summary>
/// Hugging Face's tokenizers library (the Rust crate, through Tokenizers.DotNet) reads the tokenizer.json we write
/// and must give the same ids: the independent check of our pre-tokenizer, merges, byte alphabet and added tokens.
/// </summary>
public sealed class HuggingFaceReferenceTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void HuggingFaceEncodesAndDecodesOurFileAsWeDo()
    {
        var ours = TrainedTokenizer.Instance;
        string path = folder.File("tokenizer.json");
        ours.Save(path);
        var reference = new global::Tokenizers.DotNet.Tokenizer(vocabPath: path);

        var random = new Random(61);
        for (int i = 0; i < 3000; i++)
        {
            string text = TestText.RandomString(random, 20);
            int[] ids = ours.EncodeWithSpecialTokens(text); // Hugging Face always matches added tokens in text
            Assert.Equal(ids, reference.Encode(text).Select(id => (int)id));
            Assert.Equal(ours.Decode(ids, skipSpecialTokens: true), reference.Decode([.. ids.Select(id => (uint)id)])); // it skips specials
        }
    }
}
