using Glm.Core;
using Glm.Core.Configs;

namespace Glm.Training.Models;

/// <summary>Builds the model that matches a config record.</summary>
public static class GlmModels
{
    /// <summary>
    /// A freshly initialised model for <paramref name="config"/>: a <see cref="GlmConfig"/> gives a
    /// <see cref="GlmModel"/>, a <see cref="ChatGlmConfig"/> a <see cref="ChatGlmModel"/>. The config is validated.
    /// Initialisation depends only on <paramref name="seed"/> (not on TorchSharp's global generator): matrices and
    /// embeddings are normal with std 0.02, the residual output projections (<c>attention.dense</c>,
    /// <c>dense_4h_to_h</c>) std 0.02/√(2·num_layers), norm weights 1 and biases 0.
    /// The caller owns the returned model. Throws <see cref="GlmException"/> for any other config type.
    /// </summary>
    public static IGlmLanguageModel Create(object config, long seed) => config switch
    {
        GlmConfig glm => new GlmModel(glm, seed),
        ChatGlmConfig chatGlm => new ChatGlmModel(chatGlm, seed),
        _ => throw new GlmException($"no model for a config of type {config?.GetType().Name ?? "null"}"),
    };
}
