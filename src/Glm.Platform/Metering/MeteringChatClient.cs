using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Glm.Platform;

/// <summary>
/// Bills every chat call: before it, the tenant's balance (1113) and, when a <see cref="KeyRateLimiter"/> is given,
/// the key's limits (1302/1303); after it, one usage row with the tokens the inner client reports in
/// <see cref="UsageDetails"/>, written exactly once (the row's request id is the <see cref="MeteredCall"/>'s).
/// A stream is billed when it ends, however it ends: completed, failed, or abandoned by the caller (then for what
/// was generated until then). The row is written even when the caller's token was cancelled.
/// </summary>
/// <remarks>
/// In a stream, each count is the largest any <see cref="UsageContent"/> reported, so both a single usage update at
/// the end and running totals are billed right. When a stream ends before any output count arrived, each update
/// that carried content counts as one output token (the engine yields one update per token).
/// Thread-safe if the inner client is.
/// </remarks>
public sealed class MeteringChatClient(IChatClient inner, UsageLedger ledger, KeyRateLimiter? limiter = null, TimeProvider? clock = null)
    : DelegatingChatClient(inner)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (call, innerOptions) = MeteredCall.Take(options);
        await ledger.EnsureCanSpendAsync(call.Caller.TenantId, innerOptions.ModelId, cancellationToken);
        using var lease = limiter?.Acquire(call.Caller);
        var started = _clock.GetUtcNow();
        var response = await base.GetResponseAsync(messages, innerOptions, cancellationToken);
        var meter = new Meter();
        meter.Add(response.Usage);
        await RecordAsync(call, response.ModelId ?? innerOptions.ModelId, meter, started,
            response.FinishReason?.Value ?? "unknown", lease);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (call, innerOptions) = MeteredCall.Take(options);
        await ledger.EnsureCanSpendAsync(call.Caller.TenantId, innerOptions.ModelId, cancellationToken);
        using var lease = limiter?.Acquire(call.Caller);
        var started = _clock.GetUtcNow();
        var meter = new Meter();
        string? model = innerOptions.ModelId;
        string? finish = null;
        bool ended = false;
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, innerOptions, cancellationToken))
            {
                meter.Add(update);
                model = update.ModelId ?? model;
                if (update.FinishReason is { } reason)
                    finish = reason.Value;
                yield return update;
            }
            ended = true;
        }
        finally
        {
            // "interrupted": the caller stopped reading, or the inner client failed, before the stream's end.
            await RecordAsync(call, model, meter, started, finish ?? (ended ? "unknown" : "interrupted"), lease);
        }
    }

    private async Task RecordAsync(MeteredCall call, string? model, Meter meter, DateTimeOffset started, string finish,
        KeyRateLimiter.RateLease? lease)
    {
        model ??= this.GetService<ChatClientMetadata>()?.DefaultModelId ?? "unknown";
        lease?.ChargeTokens(meter.Input + meter.OutputOrUpdates);
        // Not the caller's token: a client that hung up still pays for what was generated.
        await ledger.RecordAsync(call.RequestId, call.Caller, model, meter.Input, meter.OutputOrUpdates, meter.Cached,
            started, _clock.GetUtcNow() - started, finish, CancellationToken.None);
    }

    private sealed class Meter
    {
        private long? _output;
        private long _contentUpdates;

        public long Input { get; private set; }

        public long Cached { get; private set; }

        public long OutputOrUpdates => _output ?? _contentUpdates;

        public void Add(UsageDetails? usage)
        {
            if (usage is null)
                return;
            Input = Math.Max(Input, usage.InputTokenCount ?? 0);
            Cached = Math.Max(Cached, usage.CachedInputTokenCount ?? 0);
            if (usage.OutputTokenCount is { } output)
                _output = Math.Max(_output ?? 0, output);
        }

        public void Add(ChatResponseUpdate update)
        {
            bool content = false;
            foreach (var item in update.Contents)
            {
                if (item is UsageContent usage)
                    Add(usage.Details);
                else
                    content = true;
            }
            if (content)
                _contentUpdates++;
        }
    }
}
