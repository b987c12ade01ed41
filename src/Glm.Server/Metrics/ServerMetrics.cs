using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Glm.Inference.Scheduling;
using Glm.Server.Models;

namespace Glm.Server.Metrics;

/// <summary>
/// The server's Prometheus metrics: requests by route and status, prompt and completion tokens by model, time to
/// first token and inter-token latency histograms, the queue depth (requests waiting for their first token) and
/// running generations, and, per loaded engine, its scheduler's queue, running sequences and KV cache use. Thread
/// safe; <see cref="Render"/> writes the text exposition format (version 0.0.4).
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly double[] TtftBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private static readonly double[] ItlBuckets = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly ConcurrentDictionary<(string Route, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<(string Model, string Kind), long> _tokens = new();
    private readonly ConcurrentDictionary<string, Histogram> _ttft = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Histogram> _itl = new(StringComparer.Ordinal);
    private long _waiting;
    private long _running;

    public void RequestCompleted(string route, int status) => _requests.AddOrUpdate((route, status), 1, (_, n) => n + 1);

    public void Tokens(string model, long prompt, long completion)
    {
        _tokens.AddOrUpdate((model, "prompt"), prompt, (_, n) => n + prompt);
        _tokens.AddOrUpdate((model, "completion"), completion, (_, n) => n + completion);
    }

    public void FirstToken(string model, TimeSpan elapsed) => _ttft.GetOrAdd(model, _ => new Histogram(TtftBuckets)).Observe(elapsed.TotalSeconds);

    public void InterToken(string model, TimeSpan elapsed) => _itl.GetOrAdd(model, _ => new Histogram(ItlBuckets)).Observe(elapsed.TotalSeconds);

    /// <summary>A generation was admitted and waits for its first token.</summary>
    public void Enqueued() => Interlocked.Increment(ref _waiting);

    /// <summary>A waiting generation produced its first token (or ended before it).</summary>
    public void Dequeued(bool started)
    {
        Interlocked.Decrement(ref _waiting);
        if (started)
            Interlocked.Increment(ref _running);
    }

    /// <summary>A running generation ended.</summary>
    public void Finished() => Interlocked.Decrement(ref _running);

    public string Render(IEnumerable<(string Model, ModelBackend Backend)> engines)
    {
        var text = new StringBuilder();
        Header(text, "glm_http_requests_total", "counter", "HTTP requests by route pattern and status code.");
        foreach (var ((route, status), n) in _requests.OrderBy(p => p.Key))
            text.Append(CultureInfo.InvariantCulture, $"glm_http_requests_total{{route=\"{Escape(route)}\",status=\"{status}\"}} {n}\n");
        Header(text, "glm_tokens_total", "counter", "Tokens read (prompt) and generated (completion) by model.");
        foreach (var ((model, kind), n) in _tokens.OrderBy(p => p.Key))
            text.Append(CultureInfo.InvariantCulture, $"glm_tokens_total{{model=\"{Escape(model)}\",kind=\"{kind}\"}} {n}\n");
        WriteHistograms(text, "glm_time_to_first_token_seconds", "Seconds from admission to the first generated token.", _ttft);
        WriteHistograms(text, "glm_inter_token_latency_seconds", "Seconds between consecutive streamed tokens.", _itl);
        Header(text, "glm_queue_depth", "gauge", "Generations admitted and waiting for their first token.");
        text.Append(CultureInfo.InvariantCulture, $"glm_queue_depth {Interlocked.Read(ref _waiting)}\n");
        Header(text, "glm_requests_running", "gauge", "Generations producing tokens.");
        text.Append(CultureInfo.InvariantCulture, $"glm_requests_running {Interlocked.Read(ref _running)}\n");
        WriteSchedulers(text, engines.Select(e => (e.Model, e.Backend.Gauges)).Where(e => e.Gauges is not null)
            .Select(e => (e.Model, e.Gauges!.Value)).OrderBy(e => e.Model, StringComparer.Ordinal).ToList());
        return text.ToString();
    }

    private static void WriteSchedulers(StringBuilder text, List<(string Model, SchedulerGauges Gauges)> engines)
    {
        void Gauge(string name, string type, string help, Func<SchedulerGauges, double> value)
        {
            Header(text, name, type, help);
            foreach (var (model, gauges) in engines)
                text.Append(CultureInfo.InvariantCulture, $"{name}{{model=\"{Escape(model)}\"}} {value(gauges)}\n");
        }
        Gauge("glm_scheduler_queue_depth", "gauge", "Requests waiting for a KV slot in the model's scheduler.", g => g.QueueDepth);
        Gauge("glm_scheduler_running", "gauge", "Sequences in the running batch (prefilling or decoding).", g => g.Running);
        Gauge("glm_kv_slots_in_use", "gauge", "KV cache slots held by running sequences.", g => g.SlotsInUse);
        Gauge("glm_kv_slots_total", "gauge", "KV cache slots (the most sequences decoded together).", g => g.SlotsTotal);
        Gauge("glm_kv_cache_usage_ratio", "gauge", "Share of the KV cache's token capacity that running sequences hold.",
            g => g.KvTokensCapacity == 0 ? 0 : (double)g.KvTokensInUse / g.KvTokensCapacity);
        Gauge("glm_scheduler_generated_tokens_total", "counter", "Tokens generated by the model's scheduler.", g => g.TokensGenerated);
        Gauge("glm_prefix_cache_hit_tokens_total", "counter", "Prompt tokens found in a KV slot and not computed again.", g => g.CachedPromptTokens);
    }

    private static void WriteHistograms(StringBuilder text, string name, string help, ConcurrentDictionary<string, Histogram> byModel)
    {
        Header(text, name, "histogram", help);
        foreach (var (model, histogram) in byModel.OrderBy(p => p.Key, StringComparer.Ordinal))
            histogram.Render(text, name, $"model=\"{Escape(model)}\"");
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static string Escape(string label) => label.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1]; // last: above every bound
        private double _sum;

        public void Observe(double value)
        {
            int i = Array.FindIndex(bounds, b => value <= b);
            lock (_counts)
            {
                _counts[i < 0 ? bounds.Length : i]++;
                _sum += value;
            }
        }

        public void Render(StringBuilder text, string name, string labels)
        {
            lock (_counts)
            {
                long cumulative = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cumulative += _counts[i];
                    text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"{bounds[i]}\"}} {cumulative}\n");
                }
                cumulative += _counts[^1];
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}\n");
                text.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{labels}}} {_sum}\n{name}_count{{{labels}}} {cumulative}\n");
            }
        }
    }
}
