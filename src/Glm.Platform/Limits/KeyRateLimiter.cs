using System.Collections.Concurrent;

namespace Glm.Platform;

/// <summary>
/// Per-key requests-per-minute, tokens-per-minute and concurrency limits, in process, over a sliding 60-second
/// window (a log of admissions and of charged tokens): the key's own limits, and per model, the limits the model's
/// tier sets for each key. A refusal is a <see cref="PlatformException"/> with HTTP 429, code 1302 (concurrency) or
/// 1303 (per-minute), and the whole seconds until a retry can succeed. Thread-safe; limits are those given at each
/// call, so a change applies to the next request.
/// </summary>
public sealed class KeyRateLimiter(TimeProvider? clock = null)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ConcurrentDictionary<(string KeyId, string? Model), KeyWindow> _keys = new();

    /// <summary>
    /// Admits one request or throws. The lease holds a concurrency slot until disposed; charge the request's tokens
    /// to it with <see cref="RateLease.ChargeTokens"/> when they are known.
    /// </summary>
    public RateLease Acquire(KeyIdentity caller)
    {
        var window = _keys.GetOrAdd((caller.KeyId, null), _ => new KeyWindow(""));
        window.Admit(caller.Limits, _clock.GetUtcNow());
        return new RateLease(window, _clock);
    }

    /// <summary>
    /// Admits one request of the key to <paramref name="model"/> under <paramref name="limits"/>, the model's limits
    /// for each key, counted apart from the key's own (which <see cref="Acquire(KeyIdentity)"/> admits), or throws.
    /// </summary>
    public RateLease Acquire(KeyIdentity caller, string model, KeyLimits limits)
    {
        var window = _keys.GetOrAdd((caller.KeyId, model), _ => new KeyWindow($" on model {model}"));
        window.Admit(limits, _clock.GetUtcNow());
        return new RateLease(window, _clock);
    }

    /// <summary>A request admitted by <see cref="Acquire(KeyIdentity)"/>. Dispose exactly when the request ends.</summary>
    public sealed class RateLease : IDisposable
    {
        private readonly KeyWindow _window;
        private readonly TimeProvider _clock;
        private int _released;

        internal RateLease(KeyWindow window, TimeProvider clock) => (_window, _clock) = (window, clock);

        /// <summary>Counts tokens against the key's tokens-per-minute from now on.</summary>
        public void ChargeTokens(long tokens) => _window.Charge(tokens, _clock.GetUtcNow());

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                _window.Release();
        }
    }

    /// <summary>One key's (or one key's on one model) log; <paramref name="scope"/> ends the refusal message.</summary>
    internal sealed class KeyWindow(string scope)
    {
        private readonly Lock _lock = new();
        private readonly Queue<DateTimeOffset> _admitted = new();
        private readonly Queue<(DateTimeOffset At, long Tokens)> _charged = new();
        private long _tokensInWindow;
        private int _inFlight;

        public void Admit(KeyLimits limits, DateTimeOffset now)
        {
            lock (_lock)
            {
                Expire(now);
                if (limits.MaxConcurrency > 0 && _inFlight >= limits.MaxConcurrency)
                    throw PlatformException.TooManyConcurrent(limits.MaxConcurrency, scope, retryAfter: 1);
                if (limits.RequestsPerMinute > 0 && _admitted.Count >= limits.RequestsPerMinute)
                {
                    // The oldest admissions must leave the window until one slot is free.
                    var freeAt = _admitted.ElementAt(_admitted.Count - limits.RequestsPerMinute) + Window;
                    throw PlatformException.TooManyRequests("requests", limits.RequestsPerMinute, scope, Seconds(freeAt - now));
                }
                if (limits.TokensPerMinute > 0 && _tokensInWindow >= limits.TokensPerMinute)
                    throw PlatformException.TooManyRequests("tokens", limits.TokensPerMinute, scope, Seconds(TokensFreeAt(limits.TokensPerMinute) - now));
                _admitted.Enqueue(now);
                _inFlight++;
            }
        }

        public void Charge(long tokens, DateTimeOffset now)
        {
            lock (_lock)
            {
                _charged.Enqueue((now, tokens));
                _tokensInWindow += tokens;
            }
        }

        public void Release()
        {
            lock (_lock)
                _inFlight--;
        }

        // When enough charged tokens have left the window for the total to fall under the limit.
        private DateTimeOffset TokensFreeAt(long limit)
        {
            long remaining = _tokensInWindow;
            foreach (var (at, tokens) in _charged)
            {
                remaining -= tokens;
                if (remaining < limit)
                    return at + Window;
            }
            return _charged.Last().At + Window;
        }

        private void Expire(DateTimeOffset now)
        {
            while (_admitted.Count > 0 && _admitted.Peek() + Window <= now)
                _admitted.Dequeue();
            while (_charged.Count > 0 && _charged.Peek().At + Window <= now)
                _tokensInWindow -= _charged.Dequeue().Tokens;
        }

        private static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
    }
}
