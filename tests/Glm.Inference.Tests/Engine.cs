using Glm.Inference.Loading;
using Glm.Inference.Models;
using Glm.Kernels.Threading;

namespace Glm.Inference.Tests;

/// <summary>An opened model file (any architecture), a worker pool and the engine over them; disposes all three.</summary>
internal sealed class Engine : IDisposable
{
    public Engine(string path, int threads = 2, int contextLength = 0, int batchSize = 32)
    {
        File = GlmModelFile.Open(path);
        Pool = new WorkerPool(threads);
        Model = File.CreateModel(Pool, contextLength, batchSize);
    }

    public GlmModelFile File { get; }

    public WorkerPool Pool { get; }

    /// <summary>The file's architecture (ChatGLM or GLM-4-0414) over its weights.</summary>
    public IDecoderModel Model { get; }

    /// <summary>Logits at every position of a fresh sequence, as [T][V], computed by one prefill.</summary>
    public float[][] Logits(IReadOnlyList<int> ids)
    {
        Model.Reset();
        int v = Model.VocabSize;
        var flat = new float[ids.Count * v];
        Model.Forward(ids.ToArray(), flat);
        return [.. Enumerable.Range(0, ids.Count).Select(t => flat.AsSpan(t * v, v).ToArray())];
    }

    /// <summary>Logits at every position, computed one decode step at a time (the KV-cache path).</summary>
    public float[][] StepwiseLogits(IReadOnlyList<int> ids)
    {
        Model.Reset();
        return [.. ids.Select(id => Model.Decode(id).ToArray())];
    }

    public int[] Greedy(IReadOnlyList<int> prompt, int count)
    {
        Model.Reset();
        var output = new int[count];
        ReadOnlySpan<float> logits = Model.Prefill(prompt.ToArray());
        for (int i = 0; i < count; i++)
        {
            output[i] = Glm.LlamaCpp.Tests.TinyChatGlmCheckpoint.ArgMax(logits);
            logits = Model.Decode(output[i]);
        }
        return output;
    }

    public void Dispose()
    {
        Pool.Dispose();
        File.Dispose();
    }
}

internal static class Logits
{
    /// <summary>Max |expected − actual| over all positions and the number of positions whose argmax agrees.</summary>
    public static (float MaxDiff, int Agree) Compare(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float maxDiff = 0;
        int agree = 0;
        for (int t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t].Length, actual[t].Length);
            for (int v = 0; v < expected[t].Length; v++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[t][v] - actual[t][v]));
            if (Glm.LlamaCpp.Tests.TinyChatGlmCheckpoint.ArgMax(expected[t]) == Glm.LlamaCpp.Tests.TinyChatGlmCheckpoint.ArgMax(actual[t])) agree++;
        }
        return (maxDiff, agree);
    }

    public const string Prompt = "[gMASK]<sop>The quick fox predicts the next token from the lazy dog.";

    public static int[] PromptIds(Glm.LlamaCpp.Tests.TinyChatGlmCheckpoint checkpoint, int count = 12)
    {
        int[] ids = checkpoint.Tokenizer.EncodeWithSpecialTokens(Prompt);
        return ids.Length >= 12 ? ids[..Math.Min(count, ids.Length)] : throw new InvalidOperationException($"prompt gives only {ids.Length} tokens");
    }
}
