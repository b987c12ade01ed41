using Glm.Training.Data;
using Glm.Training.Training;

namespace Glm.Training.Evaluation;

/// <summary>
/// Held-out samples in the form each objective generates text, so perplexities of both objectives count the same
/// tokens. Blank-infilling models see the text as one document-level blank after an empty context:
/// <c>[gMASK] &lt;sop&gt; x0 .. x(n-2)</c> predicting <c>x0 .. x(n-1)</c> (GLM-4's prompt prefix, and the paper's
/// generation mode; 2-D positions: the mask position 0 for the whole span, block positions 1..n). Left-to-right models
/// see <c>&lt;|endoftext|&gt; x0 .. x(n-2)</c> with positions 0..n-1 (end-of-text separates documents in training).
/// </summary>
public static class EvalSamples
{
    /// <summary>Builds a sample of length <paramref name="seqLength"/> from at most seqLength - 1 tokens.</summary>
    public static InfillSample Generation(ReadOnlySpan<int> text, TrainingObjective objective, EvalTokenIds ids, int seqLength)
    {
        int n = text.Length;
        if (n < 1 || n > seqLength - 1) throw new ArgumentOutOfRangeException(nameof(text), $"need 1..{seqLength - 1} tokens, got {n}");
        var input = new int[seqLength];
        var target = new int[seqLength];
        var loss = new float[seqLength];
        var pos = new int[seqLength];
        var block = new int[seqLength];
        Array.Fill(input, ids.Pad);
        int offset, partA;
        if (objective == TrainingObjective.Infill)
        {
            input[0] = ids.GMask;                     // Part A: the blank alone, position 0
            input[1] = ids.Sop;                       // Part B: sop x0 .. x(n-2), position 0, block 1..n
            for (int i = 1; i <= n; i++) block[i] = i;
            offset = 2;
            partA = 1;
        }
        else
        {
            input[0] = ids.EndOfText;
            for (int i = 0; i <= n; i++) pos[i] = i;
            offset = 1;
            partA = 0;
        }
        for (int i = 0; i < n - 1; i++) input[offset + i] = text[i];
        for (int i = 0; i < n; i++)
        {
            target[offset - 1 + i] = text[i];
            loss[offset - 1 + i] = 1;
        }
        return new InfillSample
        {
            InputIds = input,
            TargetIds = target,
            LossMask = loss,
            PositionIds = pos,
            BlockPositionIds = block,
            PartALength = partA,
            Length = offset + n - 1,
        };
    }
}

/// <summary>The special ids evaluation needs.</summary>
public sealed record EvalTokenIds(int EndOfText, int GMask, int Sop, int Pad);
