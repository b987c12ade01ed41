using System.Text.Json;
using Glm.Core;
using Glm.Core.Configs;

namespace Glm.Checkpoints.HuggingFace;

/// <summary>
/// Reads and writes a model folder's config.json with Hugging Face field names. A real THUDM <c>glm-*</c>,
/// <c>chatglm2/3-6b</c> or <c>glm-4-9b(-chat)</c> config.json reads unchanged; fields GlmSharp does not use are ignored.
/// Stateless and thread-safe.
/// </summary>
public static class ModelConfigFile
{
    private static readonly string[] ChatGlmArchitectures = ["ChatGLMModel", "ChatGLMForConditionalGeneration"];
    private static readonly string[] GlmArchitectures = ["GLMModel", "GLMForConditionalGeneration"];

    /// <summary>transformers' own GLM-4 port (glm-4-9b-chat-hf) reuses model_type "glm" with other names and tensors.</summary>
    private static readonly string[] TransformersGlmArchitectures = ["GlmForCausalLM", "Glm4ForCausalLM"];

    /// <summary>
    /// Reads <c>config.json</c> from <paramref name="folder"/>, picks the family from <c>model_type</c> ("glm" or
    /// "chatglm"; a ChatGLM config without it is recognised by <c>padded_vocab_size</c> or its architectures) and
    /// validates it. Throws <see cref="GlmException"/> naming the folder or file: missing file, bad JSON, unknown
    /// model_type, or the config's own Validate() message prefixed with the file name.
    /// </summary>
    public static ModelConfig Read(string folder)
    {
        string path = HfFolder.Inspect(folder).RequireConfig();
        using var document = HfJson.ReadDocument(path);
        var root = document.RootElement;
        return DetectFamily(root, path) switch
        {
            ModelFamily.Glm => HfJson.Validated(path, () => HfJson.Bind<GlmConfig>(root, path).Validate()),
            _ => HfJson.Validated(path, () => HfJson.Bind<ChatGlmConfig>(root, path).Validate()),
        };
    }

    /// <summary>
    /// Validates <paramref name="config"/> and writes it as <paramref name="folder"/>/config.json (indented JSON, HF
    /// field names, atomically; the folder is created if missing). Returns the path written.
    /// </summary>
    public static string Write(string folder, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string path = Path.Combine(folder, HfFolder.ConfigFileName);
        // Serialized through object, so the runtime record type (and its field names) is what gets written.
        object validated = config.Match<object>(glm => glm.Validate(), chatGlm => chatGlm.Validate());
        HfJson.Write(path, validated);
        return path;
    }

    private static ModelFamily DetectFamily(JsonElement root, string path)
    {
        var architectures = Architectures(root);
        if (architectures.Intersect(TransformersGlmArchitectures).FirstOrDefault() is { } native)
            throw new GlmException(native == Glm4ConfigFile.Architecture
                ? $"{path} describes a GLM-4-0414 model ({native}), which only the inference engine runs (not training or conversion to the training families)"
                : $"{path} describes transformers' {native} layout, which GlmSharp does not read; " +
                  "use the original THUDM checkpoint (model_type \"chatglm\") instead");

        if (root.TryGetProperty("model_type", out var modelType) && modelType.ValueKind != JsonValueKind.Null)
        {
            string? name = modelType.ValueKind == JsonValueKind.String ? modelType.GetString() : null;
            switch (name)
            {
                case "glm":
                    return ModelFamily.Glm;
                case "chatglm":
                    RejectChatGlmV1(root, path);
                    return ModelFamily.ChatGlm;
                default:
                    throw new GlmException($"{path} has model_type {modelType.GetRawText()}, which GlmSharp does not support " +
                        "(it reads \"glm\" and \"chatglm\")");
            }
        }
        if (root.TryGetProperty("padded_vocab_size", out _) || architectures.Intersect(ChatGlmArchitectures).Any())
            return ModelFamily.ChatGlm;
        if (architectures.Intersect(GlmArchitectures).Any())
            return ModelFamily.Glm;
        throw new GlmException($"{path} has no model_type and does not look like a GLM or ChatGLM config");
    }

    /// <summary>ChatGLM-6B (v1) shares model_type "chatglm" but is a different architecture (glm-spec.md 2.2).</summary>
    private static void RejectChatGlmV1(JsonElement root, string path)
    {
        if (!root.TryGetProperty("padded_vocab_size", out _)
            && (root.TryGetProperty("position_encoding_2d", out _) || root.TryGetProperty("inner_hidden_size", out _)))
            throw new GlmException($"{path} is a ChatGLM-6B (v1) config; GlmSharp reads ChatGLM2/3 and GLM-4 (padded_vocab_size)");
    }

    private static List<string> Architectures(JsonElement root)
    {
        if (!root.TryGetProperty("architectures", out var list) || list.ValueKind != JsonValueKind.Array) return [];
        return list.EnumerateArray()
            .Where(item => item.ValueKind == JsonValueKind.String)
            .Select(item => item.GetString()!)
            .ToList();
    }
}
