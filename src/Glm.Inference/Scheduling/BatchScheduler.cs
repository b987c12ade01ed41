using System.Diagnostics;
using System.Runtime.CompilerServices;
using Glm.Core;
using Glm.Inference.Generation;
using Glm.Inference.Models;
using Glm.Tokenizers;

namespace Glm.Inference.Scheduling;

/// <summary>
/// Continuous batching over one <see cref="IDecoderModel"/>: a background thread runs steps; each step prefills one chunk
/// of a newly admitted prompt (<see cref="BatchSchedulerOptions.PrefillChunk"/> tokens) and then advances every decoding
/// sequence by one token in a single <see cref="IDecoderModel.DecodeBatch"/>. New requests join at the next step;
/// finished or cancelled ones leave at once and free their KV slot. Requests beyond the slots wait in a bounded queue;
/// beyond that, <see cref="Submit"/> throws <see cref="SchedulerBusyException"/>.
/// </summary>
/// <remarks>
/// Prefix reuse: a free slot keeps the tokens of its last sequence; a new prompt that starts with them keeps that prefix
/// and prefills only the rest (reported as <see cref="GenerationUsage.CachedTokens"/>). A longer prefix found in another
/// slot, running or free, is copied into the new one. A prompt found whole (a retry, or the same prompt again) has only
/// its last token to compute, which joins the decode step. Each request samples with its
/// own <see cref="Sampling.Sampler"/>, so a seeded request gives the same tokens alone or batched. Thread safety:
/// <see cref="Submit"/> and <see cref="Gauges"/> may be called from any thread. Ownership: the model and tokenizer are
/// not owned and must not be used by anyone else while the scheduler lives; <see cref="Dispose"/> stops the thread and
/// ends unfinished requests with <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed class BatchScheduler : IDisposable
{
    /// <summary>
    /// Fewest tokens of a prefix worth copying from another slot (the block size of vLLM's prefix cache): shorter ones,
    /// such as the first tokens every chat prompt shares, are computed.
    /// </summary>
    private const int CopyBlock = 16;

    private readonly IDecoderModel _model;
    private readonly IGlmTokenizer _tokenizer;
    private readonly BatchSchedulerOptions _options;
    private readonly int[] _defaultStops;
    private readonly int _candidates;
    private readonly KvSlot[] _slots;
    private readonly object _gate = new();
    private readonly Queue<ScheduledSequence> _queue = new();
    private readonly List<ScheduledSequence> _running = [];
    private readonly ScheduledSequence[] _batch;
    private readonly int[] _batchTokens;
    private readonly KvCache[] _batchCaches;
    private readonly float[] _logits;
    private readonly Thread _thread;
    private int _slotsInUse;
    private long _tokensGenerated, _cachedTokens;
    private double _averageSeconds = 1;
    private bool _disposed;

    /// <param name="model">The engine; not owned, used by this scheduler alone.</param>
    /// <param name="tokenizer">Turns generated ids into text; not owned.</param>
    /// <param name="eosTokenIds">The model's eos ids (<see cref="Loading.GlmModelFile.EosTokenIds"/>).</param>
    public BatchScheduler(IDecoderModel model, IGlmTokenizer tokenizer, IReadOnlyList<int> eosTokenIds, BatchSchedulerOptions? options = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        ArgumentNullException.ThrowIfNull(eosTokenIds);
        _options = (options ?? new BatchSchedulerOptions()).Validate();
        if (_options.Slots > model.BatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.Slots, $"the model steps at most {model.BatchSize} sequences at once");
        }
        var special = tokenizer.Special;
        _defaultStops = [.. eosTokenIds.Concat([special.EndOfText, special.User, special.Observation]).Where(id => id >= 0).Distinct()];
        _candidates = Math.Min(tokenizer.VocabSize, model.VocabSize);
        _slots = [.. Enumerable.Range(0, _options.Slots).Select(_ => new KvSlot(model.CreateCache()))];
        _batch = new ScheduledSequence[_options.Slots];
        _batchTokens = new int[_options.Slots];
        _batchCaches = new KvCache[_options.Slots];
        _logits = new float[_options.Slots * model.VocabSize];
        _thread = new Thread(Loop) { IsBackground = true, Name = "Glm.Inference scheduler" };
        _thread.Start();
    }

    /// <summary>The stop ids used when the options name none: eos, <c>&lt;|user|&gt;</c>, <c>&lt;|observation|&gt;</c>.</summary>
    public IReadOnlyList<int> DefaultStopTokenIds => _defaultStops;

    /// <summary>Most tokens a prompt plus its reply may hold.</summary>
    public int ContextLength => _model.ContextLength;

    /// <summary>Queue depth, running sequences, KV slots in use / total, token totals. Any thread.</summary>
    public SchedulerGauges Gauges
    {
        get
        {
            lock (_gate)
            {
                // Cache lengths move on the scheduler thread; a snapshot may be a step old, which is fine for a gauge.
                long inUse = _slots.Where(s => s.Busy).Sum(s => (long)s.Cache.Length);
                long capacity = _slots.Sum(s => (long)s.Cache.Capacity);
                return new SchedulerGauges(_queue.Count, _slotsInUse, _slotsInUse, _slots.Length, inUse, capacity,
                    Interlocked.Read(ref _tokensGenerated), Interlocked.Read(ref _cachedTokens));
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="prompt"/> (token ids, fewer than <see cref="ContextLength"/>) at once and returns its
    /// updates: the generated tokens, then one last update with the finish reason and usage. Throws
    /// <see cref="SchedulerBusyException"/> here when the slots and the queue are full. Cancelling
    /// <paramref name="cancellationToken"/> (or the enumeration's token, or leaving the enumeration early) drops the
    /// request and frees its slot; the enumeration then throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public IAsyncEnumerable<ScheduledUpdate> Submit(int[] prompt, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        if (prompt.Length == 0 || prompt.Length >= _model.ContextLength)
        {
            throw new GlmException($"the prompt holds {prompt.Length} tokens; it needs 1 to {_model.ContextLength - 1}");
        }
        var sequence = new ScheduledSequence(prompt, options, _defaultStops, _tokenizer, _candidates, cancellationToken);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_queue.Count + _slotsInUse >= _slots.Length + _options.MaxQueuedRequests)
            {
                double seconds = _averageSeconds * (_queue.Count + 1) / _slots.Length;
                throw new SchedulerBusyException(_queue.Count, TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(seconds))));
            }
            // Registered before the request is visible to the scheduler thread, so Complete always unregisters it. A
            // token cancelled already only flags the request here (it is not queued yet); the thread drops it.
            sequence.Registration = cancellationToken.Register(() => Cancel(sequence));
            _queue.Enqueue(sequence);
            Monitor.Pulse(_gate);
        }
        return Read(sequence);
    }

    private async IAsyncEnumerable<ScheduledUpdate> Read(ScheduledSequence sequence, [EnumeratorCancellation] CancellationToken token = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(sequence.CancellationToken, token);
        using var registration = token.Register(() => Cancel(sequence));
        try
        {
            await foreach (var update in sequence.Output.Reader.ReadAllAsync(linked.Token).ConfigureAwait(false))
            {
                // ReadAllAsync drains what is buffered without looking at the token: a cancelled caller gets no more.
                linked.Token.ThrowIfCancellationRequested();
                yield return update;
            }
        }
        finally
        {
            if (!sequence.Completed)
            {
                Cancel(sequence);
            }
        }
    }

    /// <summary>A queued request ends here; a running one is dropped by the scheduler thread at its next step.</summary>
    private void Cancel(ScheduledSequence sequence)
    {
        sequence.Cancelled = true;
        lock (_gate)
        {
            if (sequence.Slot is null && !sequence.Completed && _queue.Contains(sequence))
            {
                var rest = _queue.Where(s => s != sequence).ToArray();
                _queue.Clear();
                foreach (var s in rest) _queue.Enqueue(s);
                Complete(sequence, new OperationCanceledException(sequence.CancellationToken));
            }
            Monitor.Pulse(_gate);
        }
    }

    private void Loop()
    {
        while (true)
        {
            lock (_gate)
            {
                while (!_disposed && _queue.Count == 0 && _running.Count == 0)
                {
                    Monitor.Wait(_gate);
                }
                if (_disposed)
                {
                    break;
                }
                Admit();
            }
            for (int i = _running.Count - 1; i >= 0; i--)
            {
                if (_running[i].Cancelled)
                {
                    Release(_running[i], new OperationCanceledException(_running[i].CancellationToken));
                }
            }
            PrefillStep();
            DecodeStep();
        }
        var error = new ObjectDisposedException(nameof(BatchScheduler));
        foreach (var sequence in _running.ToArray()) Release(sequence, error);
        lock (_gate)
        {
            while (_queue.TryDequeue(out var sequence)) Complete(sequence, error);
        }
    }

    /// <summary>
    /// Moves queued requests into free slots, each into the free slot whose cache shares the longest prefix with it, and
    /// copies in a longer prefix from any other slot.
    /// </summary>
    private void Admit()
    {
        while (_queue.Count > 0 && _slotsInUse < _slots.Length)
        {
            ScheduledSequence sequence = _queue.Dequeue();
            KvSlot? best = null;
            int bestCommon = -1;
            foreach (KvSlot slot in _slots)
            {
                int common = slot.Busy ? -1 : slot.CommonPrefix(sequence.Prompt);
                // On a tie, take the slot holding less: a longer cache is worth keeping for a later prompt.
                if (common > bestCommon || (common == bestCommon && common >= 0 && slot.Cache.Length < best!.Cache.Length))
                {
                    (best, bestCommon) = (slot, common);
                }
            }
            // A longer prefix held by another slot, running or free (a shared system prompt, the same prompt sent by
            // several clients), is copied over: a memory copy of its keys and values instead of computing them again.
            KvSlot? donor = null;
            int donorCommon = bestCommon;
            foreach (KvSlot slot in _slots)
            {
                int common = slot == best ? -1 : slot.CommonPrefix(sequence.Prompt);
                if (common > donorCommon)
                {
                    (donor, donorCommon) = (slot, common);
                }
            }
            // At least one prompt token is computed, for the logits of the first generated token.
            int reuse = Math.Min(bestCommon, sequence.Prompt.Length - 1);
            int copy = Math.Min(donorCommon, sequence.Prompt.Length - 1);
            best!.Busy = true;
            if (donor is not null && copy >= CopyBlock)
            {
                best.Cache.CopyPrefix(donor.Cache, copy);
                donor.Tokens.AsSpan(0, copy).CopyTo(best.Tokens);
                reuse = copy;
            }
            else
            {
                best.Cache.Truncate(reuse);
            }
            sequence.Slot = best;
            sequence.Prefilled = sequence.Cached = reuse;
            if (reuse == sequence.Prompt.Length - 1)
            {
                // Only the prompt's last token is left: it joins the next decode step instead of a weight pass alone.
                sequence.Prefilled = sequence.Prompt.Length;
                sequence.Pending = sequence.Prompt[^1];
            }
            sequence.AdmittedAt = Stopwatch.GetTimestamp();
            _slotsInUse++;
            _running.Add(sequence);
            Interlocked.Add(ref _cachedTokens, reuse);
        }
    }

    /// <summary>One prompt chunk of the oldest sequence still prefilling; its first token is sampled when the prompt is in.</summary>
    private void PrefillStep()
    {
        ScheduledSequence? sequence = _running.Find(s => s.Prefilled < s.Prompt.Length);
        if (sequence is null)
        {
            return;
        }
        KvSlot slot = sequence.Slot!;
        int n = Math.Min(_options.PrefillChunk, sequence.Prompt.Length - sequence.Prefilled);
        ReadOnlySpan<int> chunk = sequence.Prompt.AsSpan(sequence.Prefilled, n);
        try
        {
            ReadOnlySpan<float> logits = _model.Prefill(slot.Cache, chunk);
            chunk.CopyTo(slot.Tokens.AsSpan(sequence.Prefilled));
            sequence.Prefilled += n;
            if (sequence.Prefilled == sequence.Prompt.Length)
            {
                Next(sequence, logits);
            }
        }
        catch (Exception e)
        {
            slot.Cache.Clear();
            Release(sequence, e);
        }
    }

    /// <summary>Feeds every decoding sequence its pending token in one batched step and samples the next ones.</summary>
    private void DecodeStep()
    {
        int b = 0;
        foreach (var sequence in _running)
        {
            if (sequence.Pending < 0) continue;
            _batch[b] = sequence;
            _batchTokens[b] = sequence.Pending;
            _batchCaches[b] = sequence.Slot!.Cache;
            b++;
        }
        if (b == 0)
        {
            return;
        }
        int v = _model.VocabSize;
        try
        {
            _model.DecodeBatch(_batchTokens.AsSpan(0, b), _batchCaches.AsSpan(0, b), _logits.AsSpan(0, b * v));
        }
        catch (Exception e)
        {
            for (int i = 0; i < b; i++)
            {
                _batch[i].Slot!.Cache.Clear();
                Release(_batch[i], e);
            }
            return;
        }
        for (int i = 0; i < b; i++)
        {
            KvSlot slot = _batch[i].Slot!;
            slot.Tokens[slot.Cache.Length - 1] = _batchTokens[i];
            Next(_batch[i], _logits.AsSpan(i * v, v));
        }
        _batch.AsSpan(0, b).Clear();
        _batchCaches.AsSpan(0, b).Clear();
    }

    /// <summary>Samples the token after <paramref name="logits"/> and either streams it and keeps going or ends the request.</summary>
    private void Next(ScheduledSequence sequence, ReadOnlySpan<float> logits)
    {
        sequence.Pending = -1;
        if (sequence.Count >= sequence.Generated.Length)
        {
            Finish(sequence, FinishReason.Length);
            return;
        }
        int id = sequence.Sampler.Sample(logits, sequence.Generated.AsSpan(0, sequence.Count));
        if (sequence.StopIds.Contains(id))
        {
            Finish(sequence, FinishReason.Stop);
            return;
        }
        sequence.Generated[sequence.Count++] = id;
        Interlocked.Increment(ref _tokensGenerated);
        sequence.Output.Writer.TryWrite(new ScheduledUpdate(id, sequence.Stops.Push(sequence.Decoder.Append(id))));
        KvCache cache = sequence.Slot!.Cache;
        if (sequence.Stops.Stopped)
        {
            Finish(sequence, FinishReason.Stop);
        }
        else if (sequence.Count == sequence.Generated.Length)
        {
            Finish(sequence, FinishReason.Length);
        }
        else if (cache.Length >= cache.Capacity)
        {
            Finish(sequence, FinishReason.ContextFull);
        }
        else
        {
            sequence.Pending = id;
        }
    }

    private void Finish(ScheduledSequence sequence, FinishReason reason)
    {
        string tail = sequence.Stops.Push(sequence.Decoder.Flush()) + sequence.Stops.Flush();
        var usage = new GenerationUsage(sequence.Prompt.Length, sequence.Cached, sequence.Count);
        sequence.Output.Writer.TryWrite(new ScheduledUpdate(-1, tail, reason, usage));
        Release(sequence, error: null);
    }

    /// <summary>Ends a running sequence (with <paramref name="error"/>, or normally) and frees its slot.</summary>
    private void Release(ScheduledSequence sequence, Exception? error)
    {
        _running.Remove(sequence);
        double seconds = Stopwatch.GetElapsedTime(sequence.AdmittedAt).TotalSeconds;
        lock (_gate)
        {
            sequence.Slot!.Busy = false;
            _slotsInUse--;
            _averageSeconds = 0.8 * _averageSeconds + 0.2 * seconds;
            Complete(sequence, error);
        }
    }

    private static void Complete(ScheduledSequence sequence, Exception? error)
    {
        sequence.Completed = true;
        sequence.Output.Writer.TryComplete(error);
        sequence.Registration.Unregister();
    }

    /// <summary>Stops the scheduler thread; unfinished requests end with <see cref="ObjectDisposedException"/>. Idempotent.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        _thread.Join();
    }
}
