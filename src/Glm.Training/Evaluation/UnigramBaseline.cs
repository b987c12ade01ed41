namespace Glm.Training.Evaluation;

/// <summary>
/// The loss of a model that knows only token frequencies: cross-entropy (nats per token) of held-out tokens under
/// add-one-smoothed unigram counts from training tokens. A language model has learned something beyond word
/// frequencies only when its held-out loss is below this line.
/// </summary>
public static class UnigramBaseline
{
    public static double Loss(IEnumerable<int[]> trainingTokens, IReadOnlyList<int[]> heldOut, int vocabSize)
    {
        var counts = new double[vocabSize];
        double total = 0;
        foreach (var chunk in trainingTokens)
            foreach (int id in chunk)
            {
                counts[id]++;
                total++;
            }
        double denominator = total + vocabSize;
        double nll = 0;
        long n = 0;
        foreach (var chunk in heldOut)
            foreach (int id in chunk)
            {
                nll -= Math.Log((counts[id] + 1) / denominator);
                n++;
            }
        return n == 0 ? double.NaN : nll / n;
    }
}
