using Glm.Core.Configs;
using Glm.Training.Data;
using Glm.Training.Models;
using Glm.Training.Training;
using static TorchSharp.torch;

namespace Glm.Training.Evaluation;

/// <summary>Held-out perplexity and blank-infilling accuracy of a model, without gradients.</summary>
public static class Evaluator
{
    /// <param name="chunks">Held-out token chunks of at most seqLength - 1 tokens each.</param>
    /// <param name="tokenBlanks">A token-level ([MASK]) collator for the infilling accuracy; null skips it.</param>
    public static EvalResult Evaluate(
        IGlmLanguageModel model, TrainingObjective objective, IReadOnlyList<int[]> chunks, EvalTokenIds ids,
        int seqLength, BlankInfillingCollator? tokenBlanks, int step, int batchSize = 8)
    {
        var module = (nn.Module)model;
        bool wasTraining = module.training;
        module.eval();
        try
        {
            using var noGrad = no_grad();
            double nll = 0;
            long tokens = 0, correct = 0, blanks = 0;
            for (int start = 0; start < chunks.Count; start += batchSize)
            {
                var slice = chunks.Skip(start).Take(batchSize).ToList();
                var samples = slice.Select(c => EvalSamples.Generation(c, objective, ids, seqLength)).ToList();
                (double batchNll, long batchTokens, _) = Score(model, samples);
                nll += batchNll;
                tokens += batchTokens;
                if (tokenBlanks is null) continue;
                var infill = slice.Select((c, i) => tokenBlanks.Build(c.AsSpan(0, Math.Min(c.Length, tokenBlanks.MaxSourceLength)), new Random(start + i))).ToList();
                (_, long count, long hit) = Score(model, infill);
                blanks += count;
                correct += hit;
            }
            double loss = tokens == 0 ? double.NaN : nll / tokens;
            return new EvalResult(step, loss, Math.Exp(loss), tokenBlanks is null || blanks == 0 ? null : (double)correct / blanks, tokens);
        }
        finally
        {
            module.train(wasTraining);
        }
    }

    /// <summary>Mean loss over the loss-carrying positions of ready-made samples (e.g. held-out chat replies).</summary>
    public static EvalResult EvaluateSamples(IGlmLanguageModel model, IReadOnlyList<InfillSample> samples, int step, int batchSize = 8)
    {
        var module = (nn.Module)model;
        bool wasTraining = module.training;
        module.eval();
        try
        {
            using var noGrad = no_grad();
            double nll = 0;
            long tokens = 0;
            for (int start = 0; start < samples.Count; start += batchSize)
            {
                (double batchNll, long batchTokens, _) = Score(model, samples.Skip(start).Take(batchSize).ToList());
                nll += batchNll;
                tokens += batchTokens;
            }
            double loss = tokens == 0 ? double.NaN : nll / tokens;
            return new EvalResult(step, loss, Math.Exp(loss), null, tokens);
        }
        finally
        {
            module.train(wasTraining);
        }
    }

    /// <summary>Sum of NLL, number of scored tokens and arg-max hits over one batch of samples.</summary>
    public static (double Nll, long Tokens, long Correct) Score(IGlmLanguageModel model, IReadOnlyList<InfillSample> samples)
    {
        using var scope = NewDisposeScope();
        using var batch = Batch.From(samples, model.Family, model.parameters().First().device);
        var logits = model.Logits(batch.InputIds, batch.PositionIds, batch.BlockPositionIds, batch.PartALength);
        double nll = MaskedLoss.SumNll(logits, batch.TargetIds, batch.LossMask).item<float>();
        long correct = MaskedLoss.CorrectCount(logits, batch.TargetIds, batch.LossMask);
        return (nll, batch.TargetCount, correct);
    }
}
