using Glm.Core.Configs;

namespace Glm.Checkpoints.HuggingFace;

/// <summary>
/// A model's config.json as one of the two families: exactly one of <see cref="Glm"/> and <see cref="ChatGlm"/> is
/// set, the one <see cref="Family"/> names. Immutable. Either config converts to it implicitly.
/// </summary>
public sealed record ModelConfig
{
    private ModelConfig(ModelFamily family, GlmConfig? glm, ChatGlmConfig? chatGlm)
    {
        Family = family;
        Glm = glm;
        ChatGlm = chatGlm;
    }

    public ModelFamily Family { get; }

    /// <summary>The original GLM config; non-null exactly when <see cref="Family"/> is <see cref="ModelFamily.Glm"/>.</summary>
    public GlmConfig? Glm { get; }

    /// <summary>The ChatGLM2/3 / GLM-4 config; non-null exactly when <see cref="Family"/> is <see cref="ModelFamily.ChatGlm"/>.</summary>
    public ChatGlmConfig? ChatGlm { get; }

    public static implicit operator ModelConfig(GlmConfig config) =>
        new(ModelFamily.Glm, config ?? throw new ArgumentNullException(nameof(config)), null);

    public static implicit operator ModelConfig(ChatGlmConfig config) =>
        new(ModelFamily.ChatGlm, null, config ?? throw new ArgumentNullException(nameof(config)));

    /// <summary>Calls the function for this config's family with its typed config.</summary>
    public T Match<T>(Func<GlmConfig, T> glm, Func<ChatGlmConfig, T> chatGlm) =>
        Family == ModelFamily.Glm ? glm(Glm!) : chatGlm(ChatGlm!);
}
