using System.Text.Json;
using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.HuggingFace;
using Glm.Checkpoints.Safetensors;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Inference.Models;
using Glm.Kernels.Threading;
using Glm.Tokenizers;

namespace Glm.Inference.Loading;

/// <summary>
/// An opened model: a Hugging Face folder (config.json + model.safetensors or shards; F32/F16/BF16 matrices) or a GGUF
/// file (F32/F16/BF16/Q8_0/Q4_0/Q6_K matrices), of the ChatGLM2/3 / GLM-4 architecture (<c>chatglm</c>), GLM-4-0414
/// (<c>glm4</c>, transformers' Glm4ForCausalLM) or, as a folder only, the original GLM (<c>glm</c>). Weights stay in
/// the memory map and are used in place. This object is the one owner of the mapping: every <see cref="WeightTensor"/>
/// it hands out (through <see cref="Weights"/>, <see cref="Glm4Weights"/> or <see cref="GlmWeights"/>) dies with
/// <see cref="Dispose"/>. Reads are thread-safe.
/// </summary>
public sealed class GlmModelFile : IDisposable
{
    /// <summary>The <see cref="Architecture"/> of an original GLM model (model_type "glm").</summary>
    public const string OriginalGlmArchitecture = "glm";

    private readonly IDisposable _mapping;
    private readonly ChatGlmWeights? _chatGlm;

    private GlmModelFile(string path, bool isGguf, IDisposable mapping, ChatGlmWeights? chatGlm, Glm4Weights? glm4, GlmWeights? glm = null)
    {
        Path = path;
        IsGguf = isGguf;
        _mapping = mapping;
        _chatGlm = chatGlm;
        Glm4Weights = glm4;
        GlmWeights = glm;
    }

    /// <summary>The folder or .gguf file opened.</summary>
    public string Path { get; }

    public bool IsGguf { get; }

    /// <summary>
    /// The architecture: llama.cpp's <c>chatglm</c> or <c>glm4</c> (GLM-4-0414), or <c>glm</c> (the original GLM, which
    /// llama.cpp does not run).
    /// </summary>
    public string Architecture => GlmWeights is not null ? OriginalGlmArchitecture
        : Glm4Weights is null ? GgufGlmNames.ChatGlmArchitecture : GgufGlmNames.Glm4Architecture;

    /// <summary>The ChatGLM2/3 / GLM-4 config; throws <see cref="GlmException"/> for another architecture.</summary>
    public ChatGlmConfig Config => Weights.Config;

    /// <summary>
    /// The ChatGLM2/3 / GLM-4 weights; throws <see cref="GlmException"/> for another architecture (see
    /// <see cref="Glm4Weights"/>, <see cref="GlmWeights"/>).
    /// </summary>
    public ChatGlmWeights Weights => _chatGlm
        ?? throw new GlmException($"model {Path} is a '{Architecture}' model, not chatglm: use {(GlmWeights is null ? "Glm4Weights or CreateModel" : "GlmWeights")}");

    /// <summary>The GLM-4-0414 weights, or null for another architecture.</summary>
    public Glm4Weights? Glm4Weights { get; }

    /// <summary>The original GLM's weights (run by <see cref="OriginalGlm"/>), or null for another architecture.</summary>
    public GlmWeights? GlmWeights { get; }

    /// <summary>Rows of the embedding and output tables (V, padded).</summary>
    public int VocabSize => GlmWeights?.Config.VocabSize ?? Glm4Weights?.Config.VocabSize ?? Weights.Config.PaddedVocabSize;

    /// <summary>The context length the model was made for (max_sequence_length, seq_length or max_position_embeddings).</summary>
    public int TrainedContextLength =>
        GlmWeights?.Config.MaxSequenceLength ?? Glm4Weights?.Config.MaxPositionEmbeddings ?? Weights.Config.SeqLength;

    /// <summary>
    /// The eos ids of config.json (one or several, as written) and, for a folder, of generation_config.json; empty when
    /// neither names any.
    /// </summary>
    public IReadOnlyList<int> EosTokenIds { get; private init; } = [];

    /// <summary>
    /// Opens <paramref name="path"/>: a folder is read as Hugging Face layout, a file as GGUF. Throws
    /// <see cref="GlmException"/> naming the file and the tensor or key that is missing, misshapen or of an unsupported
    /// type, or the architecture when it is not ChatGLM2/3 / GLM-4 / GLM-4-0414. The caller owns the result.
    /// </summary>
    public static GlmModelFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            return OpenFolder(path);
        }
        if (!File.Exists(path))
        {
            throw new GlmException($"model {path} does not exist (give a Hugging Face model folder or a .gguf file)");
        }
        return OpenGguf(path);
    }

    /// <summary>
    /// Runs this model's causal architecture (<see cref="ChatGlm"/> or <see cref="Glm4"/>) over its weights with a KV
    /// cache of <paramref name="contextLength"/> tokens (0: the config's, at most 4096), splitting work across
    /// <paramref name="pool"/> (not owned). The model is valid while this file is open. The original GLM takes 2-D
    /// positions and a Part A, so it has its own API: construct <see cref="OriginalGlm"/> over <see cref="GlmWeights"/>.
    /// </summary>
    public IDecoderModel CreateModel(WorkerPool pool, int contextLength = 0, int batchSize = 32)
    {
        if (GlmWeights is not null)
        {
            throw new GlmException($"model {Path} is an original GLM (blank infilling with 2-D positions): run it with OriginalGlm over GlmWeights");
        }
        return Glm4Weights is { } glm4
            ? new Glm4(glm4, pool, contextLength, batchSize)
            : new ChatGlm(Weights, pool, contextLength, batchSize);
    }

    /// <summary>
    /// The tokenizer that goes with the model: the folder's tokenizer.json (ours) or tokenizer.model (GLM-4 tiktoken,
    /// or ChatGLM2/3 SentencePiece when the vocabulary is 65024); for a GGUF file, a tokenizer.json beside it, else the
    /// vocabulary embedded in the file (<c>tokenizer.ggml.*</c>, GPT-2 style byte-level BPE, see
    /// <see cref="GgufVocabulary"/>). Throws <see cref="GlmException"/> naming what is missing.
    /// </summary>
    public IGlmTokenizer LoadTokenizer()
    {
        string folder = IsGguf ? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))! : Path;
        string json = System.IO.Path.Combine(folder, HfFolder.TokenizerJsonFileName);
        if (File.Exists(json))
        {
            return ByteLevelBpeTokenizer.Load(json);
        }
        if (IsGguf)
        {
            return GgufVocabulary.Load((GgufFile)_mapping);
        }
        string model = System.IO.Path.Combine(folder, HfFolder.TokenizerModelFileName);
        if (File.Exists(model))
        {
            return VocabSize == 65024 ? ChatGlm3Tokenizer.Load(model) : Glm4Tokenizer.Load(model);
        }
        throw new GlmException($"model folder {Path} has no {HfFolder.TokenizerJsonFileName} or {HfFolder.TokenizerModelFileName}");
    }

    public void Dispose() => _mapping.Dispose();

    private static GlmModelFile OpenFolder(string folder)
    {
        if (Glm4ConfigFile.IsGlm4(folder))
        {
            return OpenGlm4Folder(folder);
        }
        ModelConfig config = ModelConfigFile.Read(folder);
        if (config.Glm is { } glm)
        {
            return OpenGlmFolder(folder, glm);
        }
        ChatGlmConfig chatGlm = config.ChatGlm!;
        var model = SafetensorsModel.Open(folder);
        try
        {
            var eos = ReadEos(chatGlm.EosTokenId).Concat(GenerationConfigFile.TryRead(folder)?.EosTokenIds ?? []).Distinct();
            return new GlmModelFile(folder, isGguf: false, model, HfWeightReader.Read(model, chatGlm), null) { EosTokenIds = [.. eos] };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static GlmModelFile OpenGguf(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            if (file.Architecture == GgufGlmNames.Glm4Architecture)
            {
                var glm4 = Glm4WeightReader.FromGguf(file);
                return new GlmModelFile(path, isGguf: true, file, null, glm4) { EosTokenIds = ReadEos(glm4.Config.EosTokenId) };
            }
            var weights = GgufWeightReader.Read(file);
            return new GlmModelFile(path, isGguf: true, file, weights, null) { EosTokenIds = ReadEos(weights.Config.EosTokenId) };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static GlmModelFile OpenGlmFolder(string folder, GlmConfig config)
    {
        var model = SafetensorsModel.Open(folder);
        try
        {
            int[] eos = config.EosTokenId is { } id ? [id] : [];
            return new GlmModelFile(folder, isGguf: false, model, null, null, GlmWeightReader.Read(model, config)) { EosTokenIds = eos };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static GlmModelFile OpenGlm4Folder(string folder)
    {
        var config = Glm4ConfigFile.Read(folder);
        var model = SafetensorsModel.Open(folder);
        try
        {
            var eos = ReadEos(config.EosTokenId).Concat(GenerationConfigFile.TryRead(folder)?.EosTokenIds ?? []).Distinct();
            return new GlmModelFile(folder, isGguf: false, model, null, Glm4WeightReader.FromHf(model, config)) { EosTokenIds = [.. eos] };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static int[] ReadEos(JsonElement? eos) => eos switch
    {
        { ValueKind: JsonValueKind.Number } e => [e.GetInt32()],
        { ValueKind: JsonValueKind.Array } e => [.. e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number).Select(x => x.GetInt32())],
        _ => [],
    };
}
