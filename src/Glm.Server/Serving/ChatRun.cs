using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Glm.Server.Metrics;
using Glm.Server.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Glm.Server.Serving;

/// <summary>
/// One admitted chat completion. <see cref="ReadAsync"/> streams the model's updates once, recording time to first
/// token, inter-token latency, queue depth and tokens; after it ends, <see cref="FinishReason"/> and
/// <see cref="Usage"/> describe the whole completion. A stream calls <see cref="StartAsync"/> first, so that a refusal
/// before any output becomes an error response instead of an error inside a 200 stream. Not thread safe; dispose to
/// release the request id (and to end a started run that was never read).
/// </summary>
internal sealed class ChatRun : IDisposable
{
    private readonly ModelBackend _backend;
    private readonly IList<ChatMessage> _messages;
    private readonly RequestIds.Lease _lease;
    private readonly ServerMetrics _metrics;
    private readonly StringBuilder _text = new();
    private UsageDetails? _reported;
    private bool _calledTools;
    private IAsyncEnumerator<ChatResponseUpdate>? _started;
    private bool _hasFirst;
    private bool _disposed;

    internal ChatRun(ModelEntry entry, ModelBackend backend, IList<ChatMessage> messages, ChatOptions options, int promptTokens,
        RequestIds.Lease lease, ServerMetrics metrics)
    {
        Entry = entry;
        _backend = backend;
        _messages = messages;
        Options = options;
        PromptTokens = promptTokens;
        _lease = lease;
        _metrics = metrics;
    }

    public ModelEntry Entry { get; }

    /// <summary>The options the model receives: the caller's, with the model id and the clamped output budget.</summary>
    public ChatOptions Options { get; }

    public int PromptTokens { get; }

    public string RequestId => _lease.Id;

    /// <summary>Unix seconds when the run was admitted.</summary>
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>After <see cref="ReadAsync"/> ends: the model's reason, or one inferred (tool calls, budget spent, stop).</summary>
    public ChatFinishReason FinishReason { get; private set; } = ChatFinishReason.Stop;

    /// <summary>After <see cref="ReadAsync"/> ends: the model's usage report, or counts from the tokenizer.</summary>
    public UsageDetails Usage { get; private set; } = new();

    /// <summary>
    /// Runs the model up to its first update, so that what the pipeline refuses before any output (balance, limits,
    /// a re-used request id, a model that fails to start) throws here. <see cref="ReadAsync"/> then replays that
    /// update first.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _started = ReadModelAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        _hasFirst = await _started.MoveNextAsync();
    }

    /// <summary>For a streamed response: <see cref="StartAsync"/> with the request's abort token. A refusal disposes
    /// the run and throws; otherwise the response disposes the run when it ends, even if the stream is never read.</summary>
    public async Task<ChatRun> StartStreamAsync(HttpContext http)
    {
        try
        {
            await StartAsync(http.RequestAborted);
        }
        catch
        {
            Dispose();
            throw;
        }
        http.Response.RegisterForDispose(this);
        return this;
    }

    /// <summary>Streams the model's updates; cancelling <paramref name="cancellationToken"/> cancels the model (after
    /// <see cref="StartAsync"/>, the token given there does).</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_started is null)
        {
            await foreach (var update in ReadModelAsync(cancellationToken))
                yield return update;
            yield break;
        }
        await using var updates = _started;
        _started = null;
        if (!_hasFirst)
            yield break;
        yield return updates.Current;
        while (await updates.MoveNextAsync())
            yield return updates.Current;
    }

    private async IAsyncEnumerable<ChatResponseUpdate> ReadModelAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ChatFinishReason? reported = null;
        var clock = Stopwatch.StartNew();
        TimeSpan last = default;
        bool started = false;
        _metrics.Enqueued();
        try
        {
            await foreach (var update in _backend.Chat!.GetStreamingResponseAsync(_messages, Options, cancellationToken))
            {
                if (Collect(update))
                {
                    if (!started)
                    {
                        started = true;
                        _metrics.Dequeued(started: true);
                        _metrics.FirstToken(Entry.Name, clock.Elapsed);
                    }
                    else
                    {
                        _metrics.InterToken(Entry.Name, clock.Elapsed - last);
                    }
                    last = clock.Elapsed;
                }
                reported = update.FinishReason ?? reported;
                yield return update;
            }
        }
        finally
        {
            if (started)
                _metrics.Finished();
            else
                _metrics.Dequeued(started: false);
        }
        Usage = CountUsage();
        FinishReason = reported ?? (_calledTools ? ChatFinishReason.ToolCalls
            : Usage.OutputTokenCount >= Options.MaxOutputTokens ? ChatFinishReason.Length : ChatFinishReason.Stop);
        _metrics.Tokens(Entry.Name, Usage.InputTokenCount ?? 0, Usage.OutputTokenCount ?? 0);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        // A run started but never read (the client left before the stream began): end it, so metering bills it.
        _started?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _lease.Dispose();
    }

    // True when the update carries output (text, reasoning or a tool call).
    private bool Collect(ChatResponseUpdate update)
    {
        bool output = false;
        foreach (var content in update.Contents)
        {
            switch (content)
            {
                case TextContent text when text.Text.Length > 0:
                    _text.Append(text.Text);
                    output = true;
                    break;
                case TextReasoningContent reasoning when reasoning.Text.Length > 0:
                    _text.Append(reasoning.Text);
                    output = true;
                    break;
                case FunctionCallContent:
                    _calledTools = true;
                    output = true;
                    break;
                case UsageContent usage:
                    _reported = usage.Details;
                    break;
            }
        }
        return output;
    }

    private UsageDetails CountUsage()
    {
        long input = _reported?.InputTokenCount ?? PromptTokens;
        long output = _reported?.OutputTokenCount ?? _backend.Tokenizer.Encode(_text.ToString()).Length;
        return new UsageDetails
        {
            InputTokenCount = input,
            OutputTokenCount = output,
            TotalTokenCount = input + output,
            CachedInputTokenCount = _reported?.CachedInputTokenCount,
            ReasoningTokenCount = _reported?.ReasoningTokenCount,
        };
    }
}
