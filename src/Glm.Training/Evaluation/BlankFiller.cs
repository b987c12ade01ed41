using Glm.Core;
using Glm.Core.Configs;
using Glm.Tokenizers;
using Glm.Training.Data;
using Glm.Training.Training;
using Glm.Training.Models;
using static TorchSharp.torch;

namespace Glm.Training.Evaluation;

/// <summary>
/// Generates text with a TorchSharp model: fills the blanks of a Part A one after another (each from &lt;sop&gt; until
/// &lt;eop&gt;, glm-spec 1.4), or continues a text left to right. Recomputes the whole sequence at every token: meant
/// for evaluation of small models, not for serving. Greedy unless a temperature above 0 is given.
/// </summary>
public sealed class BlankFiller(IGlmLanguageModel model, SpecialTokenIds special, int maxSequenceLength)
{
    /// <summary>
    /// Fills every [MASK], [sMASK] and [gMASK] of <paramref name="partA"/>, left to right; a blank ends at &lt;eop&gt;,
    /// after <paramref name="maxTokensPerBlank"/> tokens, or when <paramref name="stop"/> says so about its tokens.
    /// </summary>
    /// <returns>The prompt and the generated tokens of each blank, in the order of the blanks.</returns>
    public (InfillPrompt Prompt, IReadOnlyList<int[]> Fills) FillAll(int[] partA, int maxTokensPerBlank, double temperature = 0, Random? rng = null,
        Func<IReadOnlyList<int>, bool>? stop = null)
    {
        var prompt = InfillPrompt.Create(partA, special.Sop, special.Mask, special.SMask, special.GMask);
        if (prompt.Blanks.Count == 0) throw new GlmException("the text has no blank: put [MASK], [sMASK] or [gMASK] where text should go");
        var fills = new List<int[]>();
        for (int b = 0; b < prompt.Blanks.Count; b++)
        {
            var tokens = new List<int>();
            fills.Add([]);
            for (int t = 0; t < maxTokensPerBlank; t++)
            {
                var input = prompt.InputFor(fills);
                if (input.InputIds.Length > maxSequenceLength) break;
                int[] pos = model.Family == ModelFamily.ChatGlm
                    ? [.. input.PositionIds.Zip(input.BlockPositionIds, Batch.SequencePosition)]
                    : input.PositionIds;
                int next = Next(input.InputIds, pos, input.BlockPositionIds, input.PartALength, temperature, rng);
                if (next == special.Eop) break;
                tokens.Add(next);
                fills[b] = [.. tokens];
                if (stop?.Invoke(tokens) == true) break;
            }
        }
        return (prompt, fills);
    }

    /// <summary>Continues <paramref name="context"/> left to right (after an &lt;|endoftext|&gt; start) until a stop.</summary>
    public int[] Continue(int[] context, int maxTokens, Func<IReadOnlyList<int>, bool> stop)
    {
        var ids = new List<int> { special.EndOfText };
        ids.AddRange(context);
        var generated = new List<int>();
        for (int t = 0; t < maxTokens && ids.Count < maxSequenceLength; t++)
        {
            var pos = Enumerable.Range(0, ids.Count).ToList();
            int next = Next(ids, pos, new int[ids.Count], 0, 0, null);
            if (next == special.EndOfText) break;
            generated.Add(next);
            ids.Add(next);
            if (stop(generated)) break;
        }
        return generated.ToArray();
    }

    private int Next(IReadOnlyList<int> ids, IReadOnlyList<int> pos, IReadOnlyList<int> block, int partA, double temperature, Random? rng)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int t = ids.Count;
        var logits = model.Logits(
            tensor(ids.Select(i => (long)i).ToArray(), [1, t]),
            tensor(pos.Select(i => (long)i).ToArray(), [1, t]),
            tensor(block.Select(i => (long)i).ToArray(), [1, t]),
            tensor(new long[] { partA }, [1]));
        var last = logits[0, t - 1].to(float32).data<float>().ToArray();
        // Only ordinary tokens and the end of a blank may be generated; padded vocabulary rows never.
        for (int i = 0; i < last.Length; i++)
            if (i >= special.EndOfText && i != special.Eop && i != special.EndOfText) last[i] = float.NegativeInfinity;
        return temperature <= 0 ? ArgMax(last) : Sample(last, temperature, rng ?? Random.Shared);
    }

    private static int ArgMax(float[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static int Sample(float[] logits, double temperature, Random rng)
    {
        double max = logits.Max();
        var p = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        double u = rng.NextDouble() * p.Sum();
        for (int i = 0; i < p.Length; i++)
        {
            u -= p[i];
            if (u <= 0) return i;
        }
        return ArgMax(logits);
    }
}
