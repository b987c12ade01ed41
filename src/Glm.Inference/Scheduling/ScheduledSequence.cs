using System.Threading.Channels;
using Glm.Inference.Generation;
using Glm.Inference.Sampling;
using Glm.Tokenizers;

namespace Glm.Inference.Scheduling;

/// <summary>
/// One request inside a <see cref="BatchScheduler"/>: its prompt and settings, where it stands (queued, prefilling,
/// decoding), and the channel its updates go to. Touched by the scheduler thread only, except <see cref="Cancelled"/>.
/// </summary>
internal sealed class ScheduledSequence
{
    public ScheduledSequence(int[] prompt, GenerationOptions options, IReadOnlyList<int> defaultStops, IGlmTokenizer tokenizer,
        int candidates, CancellationToken cancellationToken)
    {
        Prompt = prompt;
        Sampler = new Sampler(options.Sampling, candidates);
        StopIds = [.. options.StopTokenIds ?? defaultStops];
        Decoder = new Utf8StreamDecoder(tokenizer);
        Stops = new StopStrings(options.StopStrings);
        Generated = new int[Math.Max(0, options.MaxTokens)];
        CancellationToken = cancellationToken;
    }

    public int[] Prompt { get; }

    public Sampler Sampler { get; }

    public HashSet<int> StopIds { get; }

    public Utf8StreamDecoder Decoder { get; }

    public StopStrings Stops { get; }

    /// <summary>Generated ids (room for max tokens); the first <see cref="Count"/> are valid.</summary>
    public int[] Generated { get; }

    public int Count { get; set; }

    public CancellationToken CancellationToken { get; }

    public Channel<ScheduledUpdate> Output { get; } =
        Channel.CreateUnbounded<ScheduledUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Set from any thread; the scheduler drops the sequence at its next step.</summary>
    public volatile bool Cancelled;

    /// <summary>True once the last update (or an error) has been written.</summary>
    public volatile bool Completed;

    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>The KV slot while running; null while queued.</summary>
    public KvSlot? Slot { get; set; }

    /// <summary>Prompt tokens already in the slot's cache (reused or prefilled).</summary>
    public int Prefilled { get; set; }

    /// <summary>Prompt tokens found in the slot's cache at admission.</summary>
    public int Cached { get; set; }

    /// <summary>
    /// The token the next decode step feeds: the last sampled one, or the prompt's last when only it was left to compute;
    /// −1 when none.
    /// </summary>
    public int Pending { get; set; } = -1;

    /// <summary>Stopwatch timestamp of admission, for the retry-after estimate.</summary>
    public long AdmittedAt { get; set; }
}

/// <summary>A KV cache and the tokens it holds (<c>Tokens[..Cache.Length]</c>), kept after its sequence ends for prefix reuse.</summary>
internal sealed class KvSlot(KvCache cache)
{
    public KvCache Cache { get; } = cache;

    public int[] Tokens { get; } = new int[cache.Capacity];

    public bool Busy { get; set; }

    /// <summary>Tokens at the start of <paramref name="prompt"/> that this slot's cache already holds.</summary>
    public int CommonPrefix(ReadOnlySpan<int> prompt) => prompt.CommonPrefixLength(Tokens.AsSpan(0, Cache.Length));
}
