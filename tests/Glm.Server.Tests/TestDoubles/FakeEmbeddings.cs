using Microsoft.Extensions.AI;

namespace Glm.Server.Tests.TestDoubles;

/// <summary>Embeds a string as [length, 1, 0, 0, ...] of the requested dimensions (default 4).</summary>
public sealed class FakeEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
{
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        int dims = options?.Dimensions ?? 4;
        var embeddings = values.Select(v =>
        {
            var vector = new float[dims];
            vector[0] = v.Length;
            vector[1] = 1;
            return new Embedding<float>(vector);
        });
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(embeddings));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
