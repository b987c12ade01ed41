using Glm.Inference.Chat;
using Glm.Inference.Loading;
using Glm.Inference.Scheduling;
using Glm.Platform;
using Glm.Server.Billing;
using Glm.Server.Models;
using Glm.Server.Serving;
using Glm.Tokenizers;
using Microsoft.Extensions.AI;

namespace Glm.Server.Engine;

/// <summary>
/// Serves registry entries with GlmSharp's CPU engine. A chat entry's checkpoint (a Hugging Face folder or a .gguf
/// file) is opened with <see cref="GlmChatClient.Open"/> on the entry's first request, with its context window, and
/// counted with the model's own tokenizer; its requests are batched by the engine's scheduler with the entry's
/// <c>parallel</c> slots and <c>max_queue</c>. With a platform store, every call is billed:
/// caller and request id (<see cref="CallerBillingChatClient"/>) -> <c>UseMetering</c> -> the engine under the
/// public name. A checkpoint that does not exist (yet) is a 503 with code 1211 naming the path, at each request until
/// it appears; the server itself starts without it.
/// </summary>
public static class EngineBackends
{
    /// <param name="threads">Worker threads per model (0: all cores).</param>
    /// <param name="billing">The ledger to bill every chat call to; null serves unbilled (no authentication).</param>
    /// <param name="limiter">Keeps each entry's <c>rate_limits</c> per key (with billing only); null: not enforced.</param>
    public static ModelBackendFactory Create(int threads, IPlatformStore? billing, KeyRateLimiter? limiter = null) =>
        entry => Open(entry, threads, billing, limiter);

    /// <summary>True when <paramref name="entry"/>'s checkpoint exists, so its first request can load it.</summary>
    public static bool IsPresent(ModelEntry entry) => Directory.Exists(entry.Checkpoint) || File.Exists(entry.Checkpoint);

    private static ModelBackend Open(ModelEntry entry, int threads, IPlatformStore? billing, KeyRateLimiter? limiter)
    {
        if (entry.Kind != ModelKind.Chat)
            throw ApiException.Unsupported(entry.Name, "embeddings on the CPU engine");
        if (!IsPresent(entry))
            throw new ApiException(503, "1211", $"model {entry.Name} is not available: its checkpoint {entry.Checkpoint} does not exist");

        IGlmTokenizer tokenizer;
        using (var file = GlmModelFile.Open(entry.Checkpoint))
            tokenizer = file.LoadTokenizer();
        var scheduling = new BatchSchedulerOptions { Slots = entry.Parallel, MaxQueuedRequests = entry.MaxQueue };
        var engine = GlmChatClient.Open(entry.Checkpoint, threads, entry.ContextWindow, scheduling: scheduling);
        var builder = new ChatClientBuilder(engine);
        if (billing is not null)
        {
            var limits = entry.RateLimits;
            ModelKeyLimits? modelLimits = limiter is null || limits == new ModelRateLimits(0, 0, 0) ? null
                : new ModelKeyLimits(limiter, entry.Name, new KeyLimits(limits.RequestsPerMinute, limits.TokensPerMinute, limits.Concurrency));
            builder.Use(inner => new CallerBillingChatClient(inner, billing, modelLimits)).UseMetering(new UsageLedger(billing));
        }
        var chat = builder.Use(inner => new ServedModelChatClient(inner, entry.Name, tokenizer)).Build();
        return new ModelBackend(chat, null, new EnginePromptTokenizer(tokenizer), () => engine.Gauges);
    }
}
