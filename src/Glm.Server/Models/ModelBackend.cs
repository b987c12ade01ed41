using Glm.Inference.Scheduling;
using Microsoft.Extensions.AI;

namespace Glm.Server.Models;

/// <summary>
/// What the server needs from a loaded model: a chat client (for chat models), an embedding generator (for
/// embedding models), the model's tokenizer and, for an engine with a scheduler, its gauges (queue, running requests,
/// KV cache use) for <c>/metrics</c>. The backend owns what it holds: <see cref="Dispose"/> disposes the clients. The
/// clients and the gauges must be safe to call from several requests at once.
/// </summary>
public sealed class ModelBackend(
    IChatClient? chat,
    IEmbeddingGenerator<string, Embedding<float>>? embeddings,
    IPromptTokenizer tokenizer,
    Func<SchedulerGauges>? gauges = null) : IDisposable
{
    /// <summary>The scheduler's state now, or null when the backend has no scheduler.</summary>
    public SchedulerGauges? Gauges => gauges?.Invoke();

    public IChatClient? Chat { get; } = chat;

    public IEmbeddingGenerator<string, Embedding<float>>? Embeddings { get; } = embeddings;

    public IPromptTokenizer Tokenizer { get; } = tokenizer;

    public void Dispose()
    {
        Chat?.Dispose();
        Embeddings?.Dispose();
    }
}

/// <summary>Turns a registry entry into a loaded backend; called once per public name, on first use.</summary>
public delegate ModelBackend ModelBackendFactory(ModelEntry entry);
