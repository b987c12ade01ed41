using System.Text.Json;
using System.Text.Json.Serialization;
using Glm.Checkpoints;
using Glm.Checkpoints.HuggingFace;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Tokenizers;
using Glm.Training.Models;
using Glm.Training.Training;

namespace Glm.Training.Evaluation;

/// <summary>
/// A model folder written by <c>glm train</c> (or any Hugging Face GLM/ChatGLM folder with a byte-level BPE
/// tokenizer.json), loaded into TorchSharp for evaluation and infilling. Owns the model.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    public const string TrainingArgsFile = "training_args.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public required IGlmLanguageModel Model { get; init; }
    public required ModelConfig Config { get; init; }
    public required ByteLevelBpeTokenizer Tokenizer { get; init; }

    /// <summary>How the model was trained; folders without training_args.json are taken as blank-infilling models.</summary>
    public required TrainingObjective Objective { get; init; }

    /// <summary>Longest sequence the model was built for.</summary>
    public int MaxSequenceLength => Config.Match(g => g.MaxSequenceLength, c => c.SeqLength);

    public static TrainedModel Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new GlmException($"model folder {folder} does not exist");
        var config = ModelConfigFile.Read(folder);
        string tokenizerPath = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(tokenizerPath)) throw new GlmException($"model folder {folder} has no tokenizer.json");
        var tokenizer = ByteLevelBpeTokenizer.Load(tokenizerPath);
        string weights = Path.Combine(folder, "model.safetensors");
        if (!File.Exists(weights)) throw new GlmException($"model folder {folder} has no model.safetensors");
        var model = GlmModels.Create(config.Match<object>(g => g, c => c), seed: 0);
        try
        {
            WeightsFile.Load(model, weights);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return new TrainedModel { Model = model, Config = config, Tokenizer = tokenizer, Objective = ReadObjective(folder) };
    }

    /// <summary>Records the training options next to an exported model.</summary>
    public static void WriteTrainingArgs(string folder, TrainingOptions options) =>
        AtomicFile.WriteAllText(Path.Combine(folder, TrainingArgsFile), JsonSerializer.Serialize(options, Json));

    private static TrainingObjective ReadObjective(string folder)
    {
        string path = Path.Combine(folder, TrainingArgsFile);
        if (!File.Exists(path)) return TrainingObjective.Infill;
        try
        {
            return JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(path), Json)?.Objective ?? TrainingObjective.Infill;
        }
        catch (JsonException e)
        {
            throw new GlmException($"{path} is not valid: {e.Message}");
        }
    }

    public void Dispose() => Model.Dispose();
}
