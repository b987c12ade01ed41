using Microsoft.Extensions.AI;

namespace Glm.Server.Models;

/// <summary>
/// What the server needs from a loaded model: a chat client (for chat models), an embedding generator (for
/// embedding models) and the model's tokenizer. The backend owns what it holds: <see cref="Dispose"/> disposes the
/// clients. The clients must be safe to call from several requests at once.
/// </summary>
public sealed class ModelBackend(
    IChatClient? chat,
    IEmbeddingGenerator<string, Embedding<float>>? embeddings,
    IPromptTokenizer tokenizer) : IDisposable
{
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
