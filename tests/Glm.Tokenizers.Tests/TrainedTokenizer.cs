namespace Glm.Tokenizers.Tests;

/// <summary>One tokenizer trained on a few KB of mixed text, shared by the tests that only read it.</summary>
internal static class TrainedTokenizer
{
    private static readonly Lazy<ByteLevelBpeTokenizer> Lazy = new(() =>
    {
        var random = new Random(1);
        var documents = Enumerable.Range(0, 40).Select(i => TestText.EnglishText(i, 300))
            .Concat(Enumerable.Range(0, 200).Select(_ => TestText.RandomString(random, 30)))
            .ToList();
        return BpeTrainer.Train(documents, new BpeTrainerOptions { VocabSize = 1000 });
    });

    public static ByteLevelBpeTokenizer Instance => Lazy.Value;
}
