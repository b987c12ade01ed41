namespace Glm.Core.Configs;

/// <summary>The two architecture families GlmSharp trains and runs.</summary>
public enum ModelFamily
{
    /// <summary>The GLM paper's model: LayerNorm, GeLU MLP, learned 2-D positions, Part A bidirectional mask.</summary>
    Glm,

    /// <summary>The ChatGLM2/3 and GLM-4 decoder: RMSNorm, partial RoPE, GQA, SwiGLU, causal mask.</summary>
    ChatGlm,
}
