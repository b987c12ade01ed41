using Glm.Checkpoints.Safetensors;
using Glm.Core;

namespace Glm.Checkpoints.HuggingFace;

/// <summary>
/// What a Hugging Face model folder holds: config.json, the safetensors weights (single or sharded),
/// tokenizer files and generation_config.json. A snapshot taken by <see cref="Inspect"/>; immutable, thread-safe.
/// Paths are null for files the folder lacks; the Require methods turn a missing file into a <see cref="GlmException"/>
/// that names the folder and the file.
/// </summary>
public sealed record HfFolder
{
    public const string ConfigFileName = "config.json";
    public const string GenerationConfigFileName = "generation_config.json";

    /// <summary>Hugging Face tokenizers format; GlmSharp's own tokenizer writes this.</summary>
    public const string TokenizerJsonFileName = "tokenizer.json";

    /// <summary>The upstream GLM tokenizers' vocabulary (tiktoken ranks for GLM-4, SentencePiece for ChatGLM2/3).</summary>
    public const string TokenizerModelFileName = "tokenizer.model";

    public const string TokenizerConfigFileName = "tokenizer_config.json";

    private static readonly string[] PyTorchWeightNames = ["pytorch_model.bin", "pytorch_model.bin.index.json"];

    /// <summary>The folder, as given to <see cref="Inspect"/>.</summary>
    public required string Path { get; init; }

    public string? ConfigPath { get; init; }

    /// <summary><c>model.safetensors</c> when present, else <c>model.safetensors.index.json</c> (as transformers prefers).</summary>
    public string? WeightsPath { get; init; }

    public string? TokenizerJsonPath { get; init; }
    public string? TokenizerModelPath { get; init; }
    public string? TokenizerConfigPath { get; init; }
    public string? GenerationConfigPath { get; init; }

    /// <summary>True when the folder has PyTorch pickle weights (which GlmSharp does not read).</summary>
    public bool HasPyTorchWeights { get; init; }

    /// <summary>True when the weights are sharded (an index file).</summary>
    public bool IsSharded => WeightsPath?.EndsWith(SafetensorsModel.IndexFileName, StringComparison.Ordinal) == true;

    /// <summary>The known file names present, in a fixed order, e.g. for <c>glm info</c>.</summary>
    public IReadOnlyList<string> Present =>
        new[] { ConfigPath, WeightsPath, TokenizerJsonPath, TokenizerModelPath, TokenizerConfigPath, GenerationConfigPath }
            .OfType<string>().Select(System.IO.Path.GetFileName).OfType<string>().ToList();

    /// <summary>Looks at <paramref name="folder"/>; throws <see cref="GlmException"/> if it is not a folder.</summary>
    public static HfFolder Inspect(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
            throw new GlmException(File.Exists(folder)
                ? $"{folder} is a file; a model is a folder holding {ConfigFileName} and the weights"
                : $"model folder {folder} does not exist");
        string? Find(string name)
        {
            string path = System.IO.Path.Combine(folder, name);
            return File.Exists(path) ? path : null;
        }
        return new HfFolder
        {
            Path = folder,
            ConfigPath = Find(ConfigFileName),
            WeightsPath = Find(SafetensorsModel.SingleFileName) ?? Find(SafetensorsModel.IndexFileName),
            TokenizerJsonPath = Find(TokenizerJsonFileName),
            TokenizerModelPath = Find(TokenizerModelFileName),
            TokenizerConfigPath = Find(TokenizerConfigFileName),
            GenerationConfigPath = Find(GenerationConfigFileName),
            HasPyTorchWeights = PyTorchWeightNames.Any(name => Find(name) is not null),
        };
    }

    /// <summary>Path of config.json, or a <see cref="GlmException"/> saying the folder has none.</summary>
    public string RequireConfig() => ConfigPath ?? throw Missing(ConfigFileName);

    /// <summary>Path of the weights (single file or index), or a <see cref="GlmException"/> saying the folder has none.</summary>
    public string RequireWeights()
    {
        if (WeightsPath is not null) return WeightsPath;
        string hint = HasPyTorchWeights ? "; it has PyTorch .bin weights, which GlmSharp does not read: convert them to safetensors" : "";
        throw new GlmException($"model folder {Path} has no {SafetensorsModel.SingleFileName} or {SafetensorsModel.IndexFileName}{hint}");
    }

    /// <summary>Path of tokenizer.json, else tokenizer.model; a <see cref="GlmException"/> when the folder has neither.</summary>
    public string RequireTokenizer() =>
        TokenizerJsonPath ?? TokenizerModelPath
        ?? throw new GlmException($"model folder {Path} has no {TokenizerJsonFileName} or {TokenizerModelFileName}");

    private GlmException Missing(string name) => new($"model folder {Path} has no {name}");
}
