namespace Glm.Training.Training;

/// <summary>Linear warmup to the peak, then cosine decay to MinLrRatio x peak at the last step.</summary>
public static class LearningRateSchedule
{
    /// <param name="step">0-based index of the optimizer update about to be taken.</param>
    public static double At(int step, TrainingOptions o)
    {
        if (step < o.WarmupSteps) return o.LearningRate * (step + 1) / o.WarmupSteps;
        int decaySteps = Math.Max(1, o.Steps - o.WarmupSteps);
        double progress = Math.Min(1.0, (double)(step - o.WarmupSteps) / decaySteps);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        double min = o.LearningRate * o.MinLrRatio;
        return min + (o.LearningRate - min) * cosine;
    }
}
