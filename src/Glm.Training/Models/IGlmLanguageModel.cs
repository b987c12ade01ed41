using Glm.Core.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Glm.Training.Models;

/// <summary>
/// A GLM-family language model as a TorchSharp module: <see cref="GlmModel"/> (the original GLM with 2-D positions
/// and the blank-infilling mask) or <see cref="ChatGlmModel"/> (the causal ChatGLM2/3 and GLM-4 decoder).
/// Build one with <see cref="GlmModels.Create"/>. The implementations derive from <c>nn.Module</c>, so the module
/// members below (parameters, train/eval, dispose) are the ordinary TorchSharp ones. The model owns its parameters
/// and frees them on <see cref="IDisposable.Dispose"/>. Not thread-safe: one training or evaluation loop at a time.
/// </summary>
public interface IGlmLanguageModel : IDisposable
{
    /// <summary>Which architecture this is.</summary>
    ModelFamily Family { get; }

    /// <summary>Number of trainable scalars, each tensor counted once (a tied output head is not counted again).</summary>
    long ParameterCount { get; }

    /// <summary>
    /// Next-token logits. <paramref name="inputIds"/>, <paramref name="positionIds"/> and
    /// <paramref name="blockPositionIds"/> are int64 (B, T); <paramref name="partALength"/> is int64 (B), the length
    /// of the bidirectional Part A of each row. Returns float32 (B, T, V), a fresh tensor owned by the caller
    /// (run it in a dispose scope). The ChatGLM family is causal and ignores <paramref name="blockPositionIds"/> and
    /// <paramref name="partALength"/>; the GLM family ignores <paramref name="blockPositionIds"/> when its config has
    /// no block position table.
    /// </summary>
    Tensor Logits(Tensor inputIds, Tensor positionIds, Tensor blockPositionIds, Tensor partALength);

    /// <summary>
    /// Training FLOPs per token (forward and backward) at context length <paramref name="seqLen"/>, the PaLM /
    /// nanoGPT estimate <c>6·N + 12·L·H·D·T</c>: N counts the weights of every matrix multiply, the output head
    /// included and embedding lookups, norms and biases excluded; the second term is QKᵀ and AV over the full
    /// T×T score matrix (no discount for masked entries).
    /// </summary>
    double FlopsPerToken(int seqLen);

    /// <summary>
    /// Every weight under its Hugging Face checkpoint name (glm-spec 2.5 for ChatGLM, THUDM/glm naming for GLM), in a
    /// fixed order, with the model's own shapes. The tensors are the live parameters, not copies: read them, do not
    /// dispose or resize them. A tied output head appears only as the embedding table.
    /// </summary>
    IReadOnlyList<(string Name, Tensor Value)> NamedWeights();

    /// <summary>
    /// Overwrites every weight of <see cref="NamedWeights"/>. For each name, <paramref name="read"/> returns the
    /// stored shape and its float32 values in row-major order; a shape that differs from the model's throws
    /// <see cref="Glm.Core.GlmException"/> naming the tensor and both shapes. Whatever <paramref name="read"/> throws
    /// for a missing name passes through. Weights are copied in <see cref="NamedWeights"/> order, so after a failure
    /// the model holds a mix of old and new values: load into a fresh model.
    /// </summary>
    void LoadWeights(Func<string, (long[] Shape, float[] Data)> read);

    /// <summary>The trainable parameters (TorchSharp <c>Module.parameters</c>), for an optimizer.</summary>
    IEnumerable<Parameter> parameters(bool recurse = true);

    /// <summary>Switches to training mode (TorchSharp <c>Module.train</c>).</summary>
    void train(bool train = true);

    /// <summary>Switches to evaluation mode (TorchSharp <c>Module.eval</c>).</summary>
    void eval();
}
