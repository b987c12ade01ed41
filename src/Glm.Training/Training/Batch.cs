using Glm.Core.Configs;
using Glm.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Glm.Training.Training;

/// <summary>
/// Turns collated samples into the tensors a model step takes. The glm family takes the collator's 2-D positions;
/// the chatglm family (causal, 1-D RoPE) takes <see cref="SequencePosition"/>.
/// </summary>
public sealed class Batch : IDisposable
{
    public required Tensor InputIds { get; init; }          // [B, T] int64
    public required Tensor PositionIds { get; init; }       // [B, T] int64
    public required Tensor BlockPositionIds { get; init; }  // [B, T] int64
    public required Tensor PartALength { get; init; }       // [B] int64
    public required Tensor TargetIds { get; init; }         // [B, T] int64
    public required Tensor LossMask { get; init; }          // [B, T] float32

    /// <summary>Positions that carry a loss.</summary>
    public required long TargetCount { get; init; }

    /// <summary>
    /// The 1-D position of a token for the chatglm family: Part A keeps its index, and a blank's Part B tokens sit right
    /// after their mask, as if the span were written there (mask at p, sop at p + 1, ...). A document-level blank at the
    /// end of Part A thus reads as plain sequential text, GLM-4's <c>[gMASK]&lt;sop&gt;</c> layout, and with RoPE every
    /// span token sees its left context at the same relative distances it would in running text.
    /// </summary>
    public static int SequencePosition(int position, int blockPosition) => position + blockPosition;

    public static Batch From(IReadOnlyList<InfillSample> samples, ModelFamily family, Device? device = null)
    {
        int b = samples.Count, t = samples[0].InputIds.Length;
        var ids = new long[b * t];
        var pos = new long[b * t];
        var block = new long[b * t];
        var targets = new long[b * t];
        var mask = new float[b * t];
        var partA = new long[b];
        long count = 0;
        for (int i = 0; i < b; i++)
        {
            var s = samples[i];
            partA[i] = s.PartALength;
            for (int j = 0; j < t; j++)
            {
                int k = i * t + j;
                ids[k] = s.InputIds[j];
                pos[k] = family == ModelFamily.ChatGlm ? SequencePosition(s.PositionIds[j], s.BlockPositionIds[j]) : s.PositionIds[j];
                block[k] = family == ModelFamily.ChatGlm ? 0 : s.BlockPositionIds[j];
                targets[k] = s.TargetIds[j];
                mask[k] = s.LossMask[j];
                if (s.LossMask[j] > 0) count++;
            }
        }
        return new Batch
        {
            InputIds = tensor(ids, [b, t], device: device),
            PositionIds = tensor(pos, [b, t], device: device),
            BlockPositionIds = tensor(block, [b, t], device: device),
            PartALength = tensor(partA, [b], device: device),
            TargetIds = tensor(targets, [b, t], device: device),
            LossMask = tensor(mask, [b, t], device: device),
            TargetCount = count,
        };
    }

    public void Dispose()
    {
        InputIds.Dispose();
        PositionIds.Dispose();
        BlockPositionIds.Dispose();
        PartALength.Dispose();
        TargetIds.Dispose();
        LossMask.Dispose();
    }
}
