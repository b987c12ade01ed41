using System.Diagnostics;
using Glm.Inference.Models;
using Glm.Inference.Sampling;
using Glm.Tokenizers;

namespace Glm.Inference.Generation;

/// <summary>
/// Runs a prompt through an <see cref="IDecoderModel"/> and generates tokens: sampling, stop tokens, stop strings, max tokens,
/// and UTF-8-safe streaming text. Each <see cref="Stream"/> starts a new sequence on the model. Not thread-safe (the
/// model is not). Owns neither the model nor the tokenizer.
/// </summary>
public sealed class Generator
{
    private readonly IDecoderModel _model;
    private readonly IGlmTokenizer _tokenizer;
    private readonly int[] _defaultStops;

    /// <param name="eosTokenIds">The model's eos ids (e.g. <see cref="Loading.GlmModelFile.EosTokenIds"/>).</param>
    public Generator(IDecoderModel model, IGlmTokenizer tokenizer, IReadOnlyList<int> eosTokenIds)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        var special = tokenizer.Special;
        _defaultStops = [.. eosTokenIds.Concat([special.EndOfText, special.User, special.Observation]).Where(id => id >= 0).Distinct()];
    }

    /// <summary>The stop ids used when the options name none: eos, <c>&lt;|user|&gt;</c>, <c>&lt;|observation|&gt;</c>.</summary>
    public IReadOnlyList<int> DefaultStopTokenIds => _defaultStops;

    /// <summary>Generates from <paramref name="prompt"/> to the end and returns the whole result.</summary>
    public GenerationResult Generate(ReadOnlySpan<int> prompt, GenerationOptions options)
    {
        var ids = new List<int>();
        var text = new System.Text.StringBuilder();
        var state = new RunState();
        foreach (var token in Stream(prompt.ToArray(), options, state))
        {
            ids.Add(token.Id);
            text.Append(token.Text);
        }
        return new GenerationResult(prompt.ToArray(), [.. ids], text.ToString(), state.Finish, state.Prefill, state.Decode);
    }

    /// <summary>
    /// Streams tokens as they are generated. The last item may carry text released at the end (its id is that of the
    /// last token). <paramref name="state"/>, when given, receives the finish reason and timings once enumeration ends.
    /// </summary>
    public IEnumerable<GeneratedToken> Stream(int[] prompt, GenerationOptions options, RunState? state = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        state ??= new RunState();
        var sampler = new Sampler(options.Sampling, Math.Min(_tokenizer.VocabSize, _model.VocabSize));
        var stopIds = new HashSet<int>(options.StopTokenIds ?? _defaultStops);
        var decoder = new Utf8StreamDecoder(_tokenizer);
        var stops = new StopStrings(options.StopStrings);
        var generated = new int[Math.Max(0, options.MaxTokens)];
        int count = 0;

        var clock = Stopwatch.StartNew();
        _model.Reset();
        ReadOnlySpan<float> logits = _model.Prefill(prompt);
        state.Prefill = clock.Elapsed;
        clock.Restart();
        state.Finish = FinishReason.Length;
        while (count < generated.Length)
        {
            int id = sampler.Sample(logits, generated.AsSpan(0, count));
            if (stopIds.Contains(id))
            {
                state.Finish = FinishReason.Stop;
                break;
            }
            generated[count++] = id;
            string text = stops.Push(decoder.Append(id));
            if (stops.Stopped)
            {
                state.Finish = FinishReason.Stop;
                state.Decode = clock.Elapsed;
                yield return new GeneratedToken(id, text);
                yield break;
            }
            if (count == generated.Length)
            {
                text += stops.Push(decoder.Flush());
                text += stops.Flush();
                state.Decode = clock.Elapsed;
                yield return new GeneratedToken(id, text);
                yield break;
            }
            if (_model.Cache.Length >= _model.ContextLength)
            {
                state.Finish = FinishReason.ContextFull;
                text += stops.Push(decoder.Flush()) + stops.Flush();
                state.Decode = clock.Elapsed;
                yield return new GeneratedToken(id, text);
                yield break;
            }
            yield return new GeneratedToken(id, text);
            logits = _model.Decode(id);
        }
        state.Decode = clock.Elapsed;
    }

    /// <summary>Finish reason and timings of one <see cref="Stream"/>, filled in as it runs.</summary>
    public sealed class RunState
    {
        public FinishReason Finish { get; internal set; }
        public TimeSpan Prefill { get; internal set; }
        public TimeSpan Decode { get; internal set; }
    }
}
