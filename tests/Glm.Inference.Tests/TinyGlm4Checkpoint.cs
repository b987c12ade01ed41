using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.HuggingFace;
using Glm.Checkpoints.Safetensors;
using Glm.Core.Configs;
using Glm.LlamaCpp.Tests;
using Glm.Tokenizers;

namespace Glm.Inference.Tests;

/// <summary>
/// A tiny random GLM-4-0414 model made in the test, as a Hugging Face <c>Glm4ForCausalLM</c> folder: config.json,
/// model.safetensors (F32) and tokenizer.json (a byte-level BPE trained on a few sentences). GgufConvert turns it into
/// a llama.cpp <c>glm4</c> file. Owns the temporary folder.
/// </summary>
internal sealed class TinyGlm4Checkpoint : IDisposable
{
    private TinyGlm4Checkpoint(string folder, Glm4Config config, ByteLevelBpeTokenizer tokenizer)
    {
        Folder = folder;
        Config = config;
        Tokenizer = tokenizer;
    }

    public string Folder { get; }

    public Glm4Config Config { get; }

    public ByteLevelBpeTokenizer Tokenizer { get; }

    /// <summary>
    /// Hidden 64, 2 layers, 4 heads on 2 KV groups of 32 dims (so H·D = 128 ≠ C, and RoPE rotates 16 dims), SwiGLU 96,
    /// q/k/v bias, RMSNorm eps 1e-5, context 64, vocabulary = the tokenizer's padded to a multiple of 64. Weights:
    /// embeddings U(±1), matrices U(±√(3/fan_in)), norm weights 1 ± 0.3, biases ± 0.3, so every part matters.
    /// </summary>
    public static TinyGlm4Checkpoint Create(int seed, double ropeTheta = 10000, bool tieWordEmbeddings = false)
    {
        var tokenizer = BpeTrainer.Train(TinyChatGlmCheckpoint.Corpus, new BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 });
        var config = new Glm4Config
        {
            VocabSize = (tokenizer.VocabSize + 63) / 64 * 64,
            HiddenSize = 64,
            IntermediateSize = 96,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            HeadDimension = 32,
            PartialRotaryFactor = 0.5,
            RopeTheta = ropeTheta,
            RmsNormEps = 1e-5,
            MaxPositionEmbeddings = 64,
            AttentionBias = true,
            TieWordEmbeddings = tieWordEmbeddings,
            EosTokenId = System.Text.Json.JsonSerializer.SerializeToElement(tokenizer.Special.EndOfText),
            TorchDtype = "float32",
        }.Validate();

        string folder = Path.Combine(Path.GetTempPath(), $"glm4-tiny-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var random = new Random(seed);
            var writer = new SafetensorsWriter();
            foreach (var tensor in GgufGlm4Names.Tensors(config))
            {
                var values = new float[tensor.Shape.Aggregate(1L, (a, b) => a * b)];
                Func<double> draw = tensor.Hf switch
                {
                    _ when tensor.Hf.EndsWith("layernorm.weight", StringComparison.Ordinal) || tensor.Hf == "model.norm.weight"
                        => () => 1 + 0.3 * (2 * random.NextDouble() - 1),
                    _ when tensor.Hf.EndsWith(".bias", StringComparison.Ordinal) => () => 0.3 * (2 * random.NextDouble() - 1),
                    "model.embed_tokens.weight" => () => 2 * random.NextDouble() - 1,
                    _ => () => Math.Sqrt(3.0 / tensor.Shape[1]) * (2 * random.NextDouble() - 1),
                };
                for (int i = 0; i < values.Length; i++) values[i] = (float)draw();
                writer.Add(tensor.Hf, DType.F32, tensor.Shape, values);
            }
            writer.Write(Path.Combine(folder, SafetensorsModel.SingleFileName));
            Glm4ConfigFile.Write(folder, config);
            tokenizer.Save(Path.Combine(folder, HfFolder.TokenizerJsonFileName));
            return new TinyGlm4Checkpoint(folder, config, tokenizer);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>Prompt ids: the shared parity prompt, first 12 tokens.</summary>
    public int[] PromptIds() => Tokenizer.EncodeWithSpecialTokens(Logits.Prompt)[..12];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }
    }
}
