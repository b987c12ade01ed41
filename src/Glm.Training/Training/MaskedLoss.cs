using static TorchSharp.torch;

namespace Glm.Training.Training;

/// <summary>Cross-entropy restricted to the positions that carry a target (Part B in blank infilling).</summary>
public static class MaskedLoss
{
    /// <summary>Sum of per-token negative log-likelihoods (nats) over positions where <paramref name="mask"/> is 1.</summary>
    /// <param name="logits">[B, T, V] float32.</param>
    /// <param name="targets">[B, T] int64; values under a zero mask are ignored.</param>
    /// <param name="mask">[B, T] float32 of 0 and 1.</param>
    /// <returns>A scalar tensor.</returns>
    public static Tensor SumNll(Tensor logits, Tensor targets, Tensor mask)
    {
        long v = logits.shape[^1];
        using var flat = logits.reshape(-1, v);                                         // [B*T, V]
        using var nll = nn.functional.cross_entropy(flat, targets.reshape(-1), reduction: nn.Reduction.None); // [B*T]
        using var masked = nll * mask.reshape(-1);
        return masked.sum();
    }

    /// <summary>Number of positions (per row of the batch) where the arg-max prediction equals the target, under the mask.</summary>
    public static long CorrectCount(Tensor logits, Tensor targets, Tensor mask)
    {
        using var predicted = logits.argmax(-1);                // [B, T]
        using var hit = predicted.eq(targets).to(ScalarType.Float32) * mask;
        return (long)hit.sum().item<float>();
    }
}
