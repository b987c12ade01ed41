using Glm.Checkpoints.HuggingFace;
using Glm.Core.Configs;
using Glm.Tokenizers;
using Glm.Training.Models;
using Glm.Training.Training;
using static TorchSharp.torch;

namespace Glm.LlamaCpp.Tests;

/// <summary>
/// A tiny ChatGLM2/3 / GLM-4 model made in the test: a byte-level BPE tokenizer trained on a few sentences, the
/// TorchSharp <see cref="ChatGlmModel"/> with random weights, and the Hugging Face folder (config.json,
/// model.safetensors, tokenizer.json) that GgufConvert reads. Owns the model and the temporary folder.
/// </summary>
internal sealed class TinyChatGlmCheckpoint : IDisposable
{
    /// <summary>Text for the tokenizer and the prompts: a few sentences, so BPE learns real merges.</summary>
    public static readonly string[] Corpus =
    [
        "The quick brown fox jumps over the lazy dog.",
        "A language model predicts the next token from the tokens before it.",
        "GLM fills blanks in text: the model generates each span from left to right.",
        "llama.cpp runs the same weights from a GGUF file on the CPU.",
        "Rotary position embeddings rotate pairs of query and key dims by position times frequency.",
        "The lazy dog sleeps while the quick fox runs through the forest again and again.",
    ];

    private TinyChatGlmCheckpoint(string folder, ChatGlmConfig config, ByteLevelBpeTokenizer tokenizer, IGlmLanguageModel model)
    {
        Folder = folder;
        Config = config;
        Tokenizer = tokenizer;
        Model = model;
    }

    /// <summary>The HF folder: config.json, model.safetensors (F32), tokenizer.json.</summary>
    public string Folder { get; }

    public ChatGlmConfig Config { get; }

    public ByteLevelBpeTokenizer Tokenizer { get; }

    /// <summary>The TorchSharp model, in eval mode, holding exactly the weights saved in the folder.</summary>
    public IGlmLanguageModel Model { get; }

    /// <summary>
    /// Hidden 64, 2 layers, 4 heads on 2 KV groups of 16 dims (RoPE rotates 8 dims at 4 frequencies), SwiGLU 96,
    /// QKV bias, RMSNorm eps 1e-5, context 64, vocabulary = the tokenizer's padded up to a multiple of 64.
    /// </summary>
    public static TinyChatGlmCheckpoint Create(double ropeRatio, int seed)
    {
        var tokenizer = BpeTrainer.Train(Corpus, new BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 });
        var config = new ChatGlmConfig
        {
            PaddedVocabSize = (tokenizer.VocabSize + 63) / 64 * 64,
            HiddenSize = 64,
            NumLayers = 2,
            NumAttentionHeads = 4,
            KvChannels = 16,
            MultiQueryAttention = true,
            MultiQueryGroupNum = 2,
            FfnHiddenSize = 96,
            SeqLength = 64,
            LayerNormEpsilon = 1e-5,
            RopeRatio = ropeRatio,
            AddQkvBias = true,
            TorchDtype = "float32",
        }.Validate();

        string folder = Path.Combine(Path.GetTempPath(), $"glm-llamacpp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var model = GlmModels.Create(config, seed);
        try
        {
            Randomize(model, seed);
            model.eval();
            ModelConfigFile.Write(folder, config);
            WeightsFile.Save(model, Path.Combine(folder, "model.safetensors"));
            tokenizer.Save(Path.Combine(folder, HfFolder.TokenizerJsonFileName));
            return new TinyChatGlmCheckpoint(folder, config, tokenizer, model);
        }
        catch
        {
            model.Dispose();
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Logits of the causal model for every position of <paramref name="ids"/> (positions 0..T-1), as [T][V].
    /// </summary>
    public float[][] Logits(IReadOnlyList<int> ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int T = ids.Count;
        var input = tensor(ids.Select(id => (long)id).ToArray(), int64).reshape(1, T);
        var positions = arange(T, int64).reshape(1, T);
        var logits = Model.Logits(input, positions, zeros(1, T, int64), zeros(1, int64)); // (1, T, V)
        float[] flat = logits.contiguous().data<float>().ToArray();
        int V = Config.PaddedVocabSize;
        return [.. Enumerable.Range(0, T).Select(t => flat.AsSpan(t * V, V).ToArray())];
    }

    /// <summary>Greedy continuation by the TorchSharp model, recomputing the whole sequence at each step.</summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int count)
    {
        var sequence = prompt.ToList();
        for (int i = 0; i < count; i++) sequence.Add(ArgMax(Logits(sequence)[^1]));
        return [.. sequence.Skip(prompt.Count)];
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        Model.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }
    }

    /// <summary>
    /// Overwrites the 0.02 init, which barely moves the logits, with values that make every part of the forward pass
    /// matter: embeddings U(±1), other matrices U(±√(3/fan_in)), norm weights 1 ± 0.3, biases ± 0.3.
    /// </summary>
    private static void Randomize(IGlmLanguageModel model, int seed)
    {
        var random = new Random(seed);
        var weights = new Dictionary<string, (long[] Shape, float[] Data)>();
        foreach (var (name, value) in model.NamedWeights())
        {
            long[] shape = value.shape;
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            Func<double> draw = name switch
            {
                _ when name.EndsWith("layernorm.weight", StringComparison.Ordinal) => () => 1 + 0.3 * (2 * random.NextDouble() - 1),
                _ when name.EndsWith(".bias", StringComparison.Ordinal) => () => 0.3 * (2 * random.NextDouble() - 1),
                _ when name.Contains("embeddings", StringComparison.Ordinal) => () => 2 * random.NextDouble() - 1,
                _ => () => Math.Sqrt(3.0 / shape[1]) * (2 * random.NextDouble() - 1),
            };
            for (int i = 0; i < data.Length; i++) data[i] = (float)draw();
            weights[name] = (shape, data);
        }
        model.LoadWeights(name => weights[name]);
    }
}
