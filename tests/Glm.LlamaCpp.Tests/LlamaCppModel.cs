using System.Collections.Concurrent;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

namespace Glm.LlamaCpp.Tests;

/// <summary>
/// llama.cpp (through LLamaSharp) on one GGUF file: raw logits for every position of a batch, and greedy generation
/// with llama.cpp's own sampler. The KV cache is F32 and flash attention is off, so an F32 file is computed in F32
/// end to end. One context, one sequence; not thread-safe. Owns the weights and the context.
/// </summary>
internal sealed class LlamaCppModel : IDisposable
{
    private static readonly ConcurrentQueue<string> Log = new();
    private static readonly Lazy<bool> Configured = new(() =>
    {
        // Must run before LLamaSharp loads the native library. LLamaSharp.Backend.Cpu copies llama.cpp built for four
        // instruction sets to runtimes/linux-x64/native/{noavx,avx,avx2,avx512}/ in the output folder, and LLamaSharp
        // loads the best one this CPU supports (falling back when one fails); no environment variable is needed. It
        // searches relative to the working directory by default, so the output folder is named explicitly. Messages
        // are kept (warnings and errors) for failure reports instead of going to stderr.
        NativeLibraryConfig.All.WithSearchDirectory(AppContext.BaseDirectory);
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level is LLamaLogLevel.Warning or LLamaLogLevel.Error) Log.Enqueue(message.TrimEnd());
            while (Log.Count > 200) Log.TryDequeue(out _);
        });
        return true;
    });

    private readonly LLamaWeights weights;
    private readonly LLamaContext context;

    public LlamaCppModel(string ggufPath, int contextSize)
    {
        _ = Configured.Value;
        var parameters = new ModelParams(ggufPath)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)contextSize,
            UBatchSize = (uint)contextSize,
            GpuLayerCount = 0,
            Threads = Math.Min(Environment.ProcessorCount, 2),
            BatchThreads = Math.Min(Environment.ProcessorCount, 2),
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
        };
        try
        {
            weights = LLamaWeights.LoadFromFile(parameters);
            context = weights.CreateContext(parameters);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"llama.cpp could not load {ggufPath}: {e.Message}\nllama.cpp log:\n{RecentLog()}", e);
        }
    }

    public LLamaWeights Weights => weights;

    public int VocabSize => weights.Vocab.Count;

    /// <summary>Logits at every position of <paramref name="ids"/> (positions 0..T-1, one fresh sequence), as [T][V].</summary>
    public float[][] Logits(IReadOnlyList<int> ids)
    {
        context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int t = 0; t < ids.Count; t++) batch.Add((LLamaToken)ids[t], t, LLamaSeqId.Zero, true);
        Decode(batch);
        return [.. Enumerable.Range(0, ids.Count).Select(t => context.NativeHandle.GetLogitsIth(t).ToArray())];
    }

    /// <summary>
    /// Decodes <paramref name="prompt"/>, then picks <paramref name="count"/> tokens with llama.cpp's greedy sampler
    /// chain, feeding each back one token at a time (so the KV cache path is used).
    /// </summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int count)
    {
        context.NativeHandle.MemoryClear(true);
        using var sampler = new GreedySamplingPipeline();
        var batch = new LLamaBatch();
        for (int t = 0; t < prompt.Count; t++) batch.Add((LLamaToken)prompt[t], t, LLamaSeqId.Zero, t == prompt.Count - 1);
        Decode(batch);
        var output = new int[count];
        for (int i = 0; i < count; i++)
        {
            var token = sampler.Sample(context.NativeHandle, batch.TokenCount - 1);
            sampler.Accept(token);
            output[i] = (int)token;
            batch.Clear();
            batch.Add(token, prompt.Count + i, LLamaSeqId.Zero, true);
            Decode(batch);
        }
        return output;
    }

    /// <summary>llama.cpp's tokenization of <paramref name="text"/> (no BOS; special tokens parsed).</summary>
    public int[] Tokenize(string text) =>
        [.. weights.Tokenize(text, false, true, Encoding.UTF8).Select(token => (int)token)];

    public static string RecentLog() => string.Join("\n", Log);

    public void Dispose()
    {
        context.Dispose();
        weights.Dispose();
    }

    private void Decode(LLamaBatch batch)
    {
        var result = context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"llama_decode returned {result}\nllama.cpp log:\n{RecentLog()}");
    }
}
