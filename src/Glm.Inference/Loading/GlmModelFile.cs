using System.Text.Json;
using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.HuggingFace;
using Glm.Checkpoints.Safetensors;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Tokenizers;

namespace Glm.Inference.Loading;

/// <summary>
/// An opened model: a Hugging Face folder (config.json + model.safetensors or shards; F32/F16/BF16 matrices) or a
/// <c>chatglm</c> GGUF file (F32/F16/BF16/Q8_0/Q4_0/Q6_K matrices). Weights stay in the memory map and are used in
/// place. This object is the one owner of the mapping: every <see cref="WeightTensor"/> it hands out (through
/// <see cref="Weights"/>) dies with <see cref="Dispose"/>. Reads are thread-safe.
/// </summary>
public sealed class GlmModelFile : IDisposable
{
    private readonly IDisposable _mapping;

    private GlmModelFile(string path, bool isGguf, IDisposable mapping, ChatGlmWeights weights)
    {
        Path = path;
        IsGguf = isGguf;
        _mapping = mapping;
        Weights = weights;
    }

    /// <summary>The folder or .gguf file opened.</summary>
    public string Path { get; }

    public bool IsGguf { get; }

    public ChatGlmConfig Config => Weights.Config;

    public ChatGlmWeights Weights { get; }

    /// <summary>
    /// The eos ids of config.json (one or several, as written) and, for a folder, of generation_config.json; empty when
    /// neither names any.
    /// </summary>
    public IReadOnlyList<int> EosTokenIds { get; private init; } = [];

    /// <summary>
    /// Opens <paramref name="path"/>: a folder is read as Hugging Face layout, a file as GGUF. Throws
    /// <see cref="GlmException"/> naming the file and the tensor or key that is missing, misshapen or of an unsupported
    /// type, or the architecture when it is not ChatGLM2/3 / GLM-4. The caller owns the result.
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
    /// The tokenizer that goes with the model: the folder's tokenizer.json (ours) or tokenizer.model (GLM-4 tiktoken,
    /// or ChatGLM2/3 SentencePiece when the vocabulary is 65024); for a GGUF file, a tokenizer.json beside it.
    /// Throws <see cref="GlmException"/> naming what is missing.
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
            throw new GlmException($"GGUF file {Path} comes with no tokenizer GlmSharp can read: reading the GGUF " +
                $"vocabulary is not supported; put the model's {HfFolder.TokenizerJsonFileName} beside it (or pass token ids)");
        }
        string model = System.IO.Path.Combine(folder, HfFolder.TokenizerModelFileName);
        if (File.Exists(model))
        {
            return Config.PaddedVocabSize == 65024 ? ChatGlm3Tokenizer.Load(model) : Glm4Tokenizer.Load(model);
        }
        throw new GlmException($"model folder {Path} has no {HfFolder.TokenizerJsonFileName} or {HfFolder.TokenizerModelFileName}");
    }

    public void Dispose() => _mapping.Dispose();

    private static GlmModelFile OpenFolder(string folder)
    {
        ModelConfig config = ModelConfigFile.Read(folder);
        if (config.ChatGlm is not { } chatGlm)
        {
            throw new GlmException($"model folder {folder} holds a {config.Family} model; the inference engine runs ChatGLM2/3 and GLM-4 (model_type \"chatglm\")");
        }
        var model = SafetensorsModel.Open(folder);
        try
        {
            var eos = ReadEos(chatGlm.EosTokenId).Concat(GenerationConfigFile.TryRead(folder)?.EosTokenIds ?? []).Distinct();
            return new GlmModelFile(folder, isGguf: false, model, HfWeightReader.Read(model, chatGlm)) { EosTokenIds = [.. eos] };
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
            var weights = GgufWeightReader.Read(file);
            return new GlmModelFile(path, isGguf: true, file, weights) { EosTokenIds = ReadEos(weights.Config.EosTokenId) };
        }
        catch
        {
            file.Dispose();
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
