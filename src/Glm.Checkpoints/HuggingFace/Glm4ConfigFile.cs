using System.Text.Json;
using Glm.Core;
using Glm.Core.Configs;

namespace Glm.Checkpoints.HuggingFace;

/// <summary>
/// Reads and writes the config.json of a GLM-4-0414 folder (transformers' <c>Glm4ForCausalLM</c>, model_type "glm4").
/// These checkpoints are run by the inference engine only; <see cref="ModelConfigFile"/> (the training families)
/// refuses them. Stateless and thread-safe.
/// </summary>
public static class Glm4ConfigFile
{
    public const string ModelType = "glm4";
    public const string Architecture = "Glm4ForCausalLM";

    /// <summary>True when <paramref name="folder"/>'s config.json says model_type "glm4" or lists Glm4ForCausalLM.</summary>
    public static bool IsGlm4(string folder)
    {
        var inspected = HfFolder.Inspect(folder);
        if (inspected.ConfigPath is null) return false;
        using var document = HfJson.ReadDocument(inspected.ConfigPath);
        var root = document.RootElement;
        if (root.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String)
            return type.GetString() == ModelType;
        return root.TryGetProperty("architectures", out var list) && list.ValueKind == JsonValueKind.Array
            && list.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.GetString() == Architecture);
    }

    /// <summary>
    /// Reads and validates <paramref name="folder"/>/config.json. Throws <see cref="GlmException"/> naming the file:
    /// missing, bad JSON, a field of the wrong type, or the config's own Validate() message.
    /// </summary>
    public static Glm4Config Read(string folder)
    {
        string path = HfFolder.Inspect(folder).RequireConfig();
        using var document = HfJson.ReadDocument(path);
        var root = document.RootElement;
        return HfJson.Validated(path, () => HfJson.Bind<Glm4Config>(root, path).Validate());
    }

    /// <summary>Validates <paramref name="config"/> and writes it as <paramref name="folder"/>/config.json (atomically).</summary>
    public static string Write(string folder, Glm4Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string path = Path.Combine(folder, HfFolder.ConfigFileName);
        HfJson.Write(path, config.Validate());
        return path;
    }
}
