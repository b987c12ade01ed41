using LLama;
using LLama.Common;
using LLama.Native;

namespace Glm.Bench;

/// <summary>
/// llama.cpp (LLamaSharp, CPU backend, llama.cpp's default KV cache type) on one GGUF file, one sequence:
/// <see cref="Prompt"/> starts a sequence with a batch of tokens, <see cref="Decode"/> appends tokens one at a time
/// (a generation step each, logits computed). Not thread-safe. Owns the weights and the context.
/// </summary>
internal sealed class LlamaCppWorker : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();
    private int _position;

    public LlamaCppWorker(string path, int threads, int contextSize, int batchSize)
    {
        // LLamaSharp.Backend.Cpu puts llama.cpp per instruction set under runtimes/ in this folder; LLamaSharp picks
        // the best one the CPU supports. Its log (model metadata, warnings) is dropped: stdout carries the protocol.
        NativeLibraryConfig.All.WithSearchDirectory(AppContext.BaseDirectory);
        NativeLibraryConfig.All.WithLogCallback((_, _) => { });
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)batchSize,
            UBatchSize = (uint)batchSize,
            GpuLayerCount = 0,
            Threads = threads,
            BatchThreads = threads,
        };
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
    }

    /// <summary>Clears the sequence and decodes <paramref name="ids"/> as one batch (logits for the last only).</summary>
    public void Prompt(int[] ids)
    {
        _context.NativeHandle.MemoryClear(true);
        _batch.Clear();
        for (int t = 0; t < ids.Length; t++) _batch.Add((LLamaToken)ids[t], t, LLamaSeqId.Zero, t == ids.Length - 1);
        Run();
        _position = ids.Length;
    }

    /// <summary>Appends <paramref name="ids"/> one decode step each, as generation does.</summary>
    public void Decode(int[] ids)
    {
        foreach (int id in ids)
        {
            _batch.Clear();
            _batch.Add((LLamaToken)id, _position++, LLamaSeqId.Zero, true);
            Run();
        }
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }

    private void Run()
    {
        var result = _context.NativeHandle.Decode(_batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {result}");
    }
}
