using System.Text.Json;
using System.Text.Json.Serialization;
using Glm.Checkpoints;
using Glm.Core;
using Glm.Training.Data;

namespace Glm.Training.Training;

/// <summary>
/// Everything besides weights and optimizer moments that a killed run needs to continue exactly: the step, the data
/// stream's position, the options and the inputs. Stored as trainer_state.json inside the checkpoint folder.
/// </summary>
public sealed record TrainerState
{
    [JsonPropertyName("step")] public int Step { get; init; }
    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }
    [JsonPropertyName("elapsed_seconds")] public double ElapsedSeconds { get; init; }
    [JsonPropertyName("stream")] public required StreamPosition Stream { get; init; }
    [JsonPropertyName("options")] public required TrainingOptions Options { get; init; }
    [JsonPropertyName("data_files")] public required IReadOnlyList<string> DataFiles { get; init; }
    [JsonPropertyName("eval_file")] public string? EvalFile { get; init; }

    /// <summary>The model folder whose weights started the run; null for random initialisation.</summary>
    [JsonPropertyName("init_from")] public string? InitFrom { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static TrainerState Load(string path)
    {
        if (!File.Exists(path)) throw new GlmException($"no checkpoint to resume: {path} does not exist");
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json)
                ?? throw new GlmException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new GlmException($"{path} is not a valid trainer state: {e.Message}");
        }
    }
}
