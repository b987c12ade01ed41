using Glm.Checkpoints.Gguf;
using Glm.Core.Configs;
using Glm.Inference.Loading;
using Glm.Inference.Models;
using Glm.Kernels.Quant;
using Glm.Kernels.Threading;
using Glm.Tokenizers;

namespace Glm.Inference.Tests.Scheduling;

/// <summary>
/// A tiny random model made in the test (a <c>chatglm</c> GGUF, or a GLM-4-0414 Hugging Face folder and its GGUF) in a
/// temporary folder, opened with a worker pool, with the tokenizer trained for it. Owns and deletes all of it.
/// </summary>
internal sealed class SchedulingModel : IDisposable
{
    private readonly string _folder;
    private readonly TinyGlm4Checkpoint? _glm4;
    private readonly List<GlmModelFile> _files = [];

    private SchedulingModel(string folder, string path, IGlmTokenizer tokenizer, TinyGlm4Checkpoint? glm4 = null)
    {
        _folder = folder;
        Path = path;
        Tokenizer = tokenizer;
        _glm4 = glm4;
        Pool = new WorkerPool(2);
    }

    public string Path { get; }

    public IGlmTokenizer Tokenizer { get; }

    public WorkerPool Pool { get; }

    /// <summary>
    /// A random <c>chatglm</c> GGUF in <paramref name="type"/>: hidden <paramref name="hidden"/>, <paramref name="layers"/>
    /// layers, 4 heads on 2 KV groups, context <paramref name="context"/>.
    /// </summary>
    public static SchedulingModel ChatGlm(GgmlType type, int hidden = 64, int layers = 2, int context = 256, int seed = 5)
    {
        string folder = Directory.CreateTempSubdirectory("glm-sched-").FullName;
        var tokenizer = BpeTrainer.Train(Glm.LlamaCpp.Tests.TinyChatGlmCheckpoint.Corpus, new BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 });
        string json = System.IO.Path.Combine(folder, "tokenizer.json");
        tokenizer.Save(json);
        var config = new ChatGlmConfig
        {
            PaddedVocabSize = (tokenizer.VocabSize + 63) / 64 * 64, HiddenSize = hidden, NumLayers = layers, NumAttentionHeads = 4,
            KvChannels = hidden / 4, MultiQueryAttention = true, MultiQueryGroupNum = 2, FfnHiddenSize = hidden * 3 / 2,
            SeqLength = context, AddQkvBias = true, TorchDtype = "float32",
        }.Validate();
        string path = System.IO.Path.Combine(folder, "tiny.gguf");
        SyntheticGguf.Write(path, config, type, json, seed);
        return new SchedulingModel(folder, path, tokenizer);
    }

    /// <summary>The tiny GLM-4-0414 checkpoint (context 64): its HF folder for F32, a quantized GGUF of it otherwise.</summary>
    public static SchedulingModel Glm4(GgmlType type, int seed = 7)
    {
        var checkpoint = TinyGlm4Checkpoint.Create(seed);
        string folder = Directory.CreateTempSubdirectory("glm-sched-").FullName;
        string path = checkpoint.Folder;
        if (type != GgmlType.F32)
        {
            string f32 = System.IO.Path.Combine(folder, "f32.gguf");
            path = System.IO.Path.Combine(folder, $"{type}.gguf");
            GgufConvert.HfToGguf(checkpoint.Folder, f32, GgmlType.F32, "tiny-glm4");
            QuantizedGguf.Write(f32, path, type);
        }
        return new SchedulingModel(folder, path, checkpoint.Tokenizer, checkpoint);
    }

    /// <summary>A model over the file with its own buffers and cache (several may share the file and pool).</summary>
    public IDecoderModel Open(int batchSize = 32)
    {
        var file = GlmModelFile.Open(Path);
        _files.Add(file);
        return file.CreateModel(Pool, batchSize: batchSize);
    }

    public IReadOnlyList<int> EosTokenIds => _files.Count > 0 ? _files[0].EosTokenIds : [];

    /// <summary>Prompt ids from one of the corpus sentences, <paramref name="count"/> long at most.</summary>
    public int[] Prompt(int sentence, int count)
    {
        var corpus = Glm.LlamaCpp.Tests.TinyChatGlmCheckpoint.Corpus;
        int[] ids = Tokenizer.Encode(corpus[sentence % corpus.Length]);
        return ids[..Math.Min(count, ids.Length)];
    }

    public void Dispose()
    {
        Pool.Dispose();
        foreach (var file in _files) file.Dispose();
        _glm4?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }
    }
}
