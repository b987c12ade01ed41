using Glm.Tokenizers;

namespace Glm.Training.Data;

/// <summary>
/// Supervised fine-tuning samples: a rendered conversation in the left-to-right layout (Part A empty, so attention is
/// causal; inputs <c>ids[0..n-1)</c>, targets <c>ids[1..n)</c>, positions from 0), with loss only where the target
/// belongs to an assistant reply (its text and the token that ends it). A conversation longer than L + 1 tokens is
/// cut to its first L + 1.
/// </summary>
public static class ChatSamples
{
    public static InfillSample Build(RenderedChat chat, int seqLength, int pad)
    {
        int n = Math.Min(chat.Ids.Length, seqLength + 1);
        var sample = InfillSample.Empty(seqLength, pad, InfillMode.LeftToRight);
        if (n < 2) return sample;
        for (int i = 0; i < n - 1; i++)
        {
            sample.InputIds[i] = chat.Ids[i];
            sample.PositionIds[i] = i;
            if (!chat.IsAssistantContent[i + 1]) continue;
            sample.TargetIds[i] = chat.Ids[i + 1];
            sample.LossMask[i] = 1;
        }
        return sample with { Length = n - 1 };
    }

    /// <summary>True when the first L + 1 tokens hold at least one assistant token to learn.</summary>
    public static bool HasTarget(RenderedChat chat, int seqLength)
    {
        int n = Math.Min(chat.Ids.Length, seqLength + 1);
        for (int i = 1; i < n; i++)
            if (chat.IsAssistantContent[i]) return true;
        return false;
    }
}
