using Glm.Training.Data;
using Glm.Training.Training;

namespace Glm.Training.Evaluation;

/// <summary>
/// Held-out samples that score the second half of a token window given the first half, in the form each objective
/// generates text, so both objectives are scored on the same tokens with the same context. For a window
/// x0..x(n-1) with context c = n/2:
/// <list type="bullet">
/// <item>blank infilling: Part A <c>x0 .. x(c-1) [gMASK]</c>, Part B <c>&lt;sop&gt; xc .. x(n-2)</c> predicting
/// <c>xc .. x(n-1)</c> (the document-level mode; 2-D positions: the mask's position c over Part B, block positions
/// 1..n-c);</item>
/// <item>left to right: <c>x0 .. x(n-2)</c> predicting <c>x1 .. x(n-1)</c>, scored from xc on.</item>
/// </list>
/// </summary>
public static class EvalSamples
{
    /// <summary>Builds a sample of length <paramref name="seqLength"/> from 2..seqLength-1 tokens.</summary>
    public static InfillSample Generation(ReadOnlySpan<int> window, TrainingObjective objective, EvalTokenIds ids, int seqLength)
    {
        int n = window.Length, c = n / 2;
        if (n < 2 || n > seqLength - 1) throw new ArgumentOutOfRangeException(nameof(window), $"need 2..{seqLength - 1} tokens, got {n}");
        var input = new int[seqLength];
        var target = new int[seqLength];
        var loss = new float[seqLength];
        var pos = new int[seqLength];
        var block = new int[seqLength];
        Array.Fill(input, ids.Pad);
        int length;
        if (objective == TrainingObjective.Infill)
        {
            for (int i = 0; i < c; i++)
            {
                input[i] = window[i];
                pos[i] = i;
            }
            input[c] = ids.GMask;
            pos[c] = c;
            for (int i = 0; i < n - c; i++)                    // Part B: <sop> xc .. x(n-2) -> xc .. x(n-1)
            {
                int k = c + 1 + i;
                input[k] = i == 0 ? ids.Sop : window[c + i - 1];
                target[k] = window[c + i];
                loss[k] = 1;
                pos[k] = c;
                block[k] = i + 1;
            }
            length = n + 1;
        }
        else
        {
            for (int i = 0; i < n - 1; i++)
            {
                input[i] = window[i];
                pos[i] = i;
                target[i] = window[i + 1];
                loss[i] = i + 1 >= c ? 1 : 0;
            }
            length = n - 1;
        }
        return new InfillSample
        {
            InputIds = input,
            TargetIds = target,
            LossMask = loss,
            PositionIds = pos,
            BlockPositionIds = block,
            PartALength = objective == TrainingObjective.Infill ? c + 1 : 0,
            Length = length,
            Mode = objective == TrainingObjective.Infill ? InfillMode.Document : InfillMode.LeftToRight,
        };
    }
}

/// <summary>The special ids evaluation needs.</summary>
public sealed record EvalTokenIds(int GMask, int Sop, int Pad);
