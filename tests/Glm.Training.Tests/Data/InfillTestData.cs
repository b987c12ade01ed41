using Glm.Training.Data;

namespace Glm.Training.Tests.Data;

/// <summary>Options and random sources for the collator tests: ordinary tokens are 0..99, specials 1000+.</summary>
internal static class InfillTestData
{
    public const int Cls = 1007;

    /// <summary>Ordinary tokens below this id end a sentence.</summary>
    public const int SentenceEndBelow = 4;

    public static InfillingOptions Options(int seqLength = 128, bool shuffle = true) => new()
    {
        SeqLength = seqLength,
        Mask = 1000,
        SMask = 1001,
        GMask = 1002,
        Sop = 1003,
        Eop = 1004,
        Pad = 1005,
        ShuffleSpans = shuffle,
    };

    public static bool IsSentenceEnd(int id) => id < SentenceEndBelow;

    public static BlankInfillingCollator Collator(int seqLength = 128, bool shuffle = true) =>
        new(Options(seqLength, shuffle), IsSentenceEnd);

    /// <summary>Tokens in 0..99; about 1 in 25 ends a sentence.</summary>
    public static int[] Source(Random rng, int length)
    {
        var source = new int[length];
        for (int i = 0; i < length; i++) source[i] = rng.Next(100);
        return source;
    }
}
