namespace Glm.Platform.Tests.Limits;

public class KeyRateLimiterTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private static KeyIdentity Key(KeyLimits limits, string id = "k1") => new("t1", id, limits);

    [Fact]
    public void Requests_per_minute_slide_and_report_when_the_oldest_leaves()
    {
        var limiter = new KeyRateLimiter(_clock);
        var key = Key(new KeyLimits(RequestsPerMinute: 2));
        limiter.Acquire(key).Dispose();
        _clock.Advance(TimeSpan.FromSeconds(20));
        limiter.Acquire(key).Dispose();

        var e = Assert.Throws<PlatformException>(() => limiter.Acquire(key));
        Assert.Equal(("1303", 429, 40), (e.Code, e.HttpStatus, e.RetryAfterSeconds));

        _clock.Advance(TimeSpan.FromSeconds(40));
        limiter.Acquire(key).Dispose();
        Assert.Equal(20, Assert.Throws<PlatformException>(() => limiter.Acquire(key)).RetryAfterSeconds);
    }

    [Fact]
    public void Concurrency_frees_a_slot_when_a_lease_ends()
    {
        var limiter = new KeyRateLimiter(_clock);
        var key = Key(new KeyLimits(MaxConcurrency: 2));
        var first = limiter.Acquire(key);
        using var second = limiter.Acquire(key);

        var e = Assert.Throws<PlatformException>(() => limiter.Acquire(key));
        Assert.Equal(("1302", 429, 1), (e.Code, e.HttpStatus, e.RetryAfterSeconds));

        first.Dispose();
        first.Dispose();
        using var third = limiter.Acquire(key);
        Assert.Throws<PlatformException>(() => limiter.Acquire(key));
    }

    [Fact]
    public void Tokens_per_minute_wait_until_enough_tokens_leave_the_window()
    {
        var limiter = new KeyRateLimiter(_clock);
        var key = Key(new KeyLimits(TokensPerMinute: 1000));
        using (var lease = limiter.Acquire(key))
            lease.ChargeTokens(600);
        _clock.Advance(TimeSpan.FromSeconds(30));
        using (var lease = limiter.Acquire(key))
            lease.ChargeTokens(500);

        // 1100 in the window; under 1000 again once the 600 leave, 30 s from now.
        var e = Assert.Throws<PlatformException>(() => limiter.Acquire(key));
        Assert.Equal(("1303", 30), (e.Code, e.RetryAfterSeconds));
        _clock.Advance(TimeSpan.FromSeconds(30));
        limiter.Acquire(key).Dispose();
    }

    [Fact]
    public void Keys_are_limited_separately_and_zero_means_unlimited()
    {
        var limiter = new KeyRateLimiter(_clock);
        limiter.Acquire(Key(new KeyLimits(RequestsPerMinute: 1), "a"));
        limiter.Acquire(Key(new KeyLimits(RequestsPerMinute: 1), "b"));
        for (int i = 0; i < 1000; i++)
            limiter.Acquire(Key(KeyLimits.Unlimited, "c"));
        Assert.Throws<PlatformException>(() => limiter.Acquire(Key(new KeyLimits(RequestsPerMinute: 1), "a")));
    }

    [Fact]
    public void Negative_limits_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new KeyLimits(MaxConcurrency: -1).Validated());
    }

    [Fact]
    public void A_models_limits_count_each_keys_requests_to_that_model_apart_from_the_keys_own()
    {
        var limiter = new KeyRateLimiter(_clock);
        var key = Key(new KeyLimits(MaxConcurrency: 5));
        var perKeyOnAir = new KeyLimits(MaxConcurrency: 1);
        using var running = limiter.Acquire(key, "glm-4-air", perKeyOnAir);

        var e = Assert.Throws<PlatformException>(() => limiter.Acquire(key, "glm-4-air", perKeyOnAir));
        Assert.Equal(("1302", 429), (e.Code, e.HttpStatus));
        Assert.Contains("on model glm-4-air", e.Message);
        limiter.Acquire(key, "glm-4", perKeyOnAir).Dispose();
        limiter.Acquire(Key(KeyLimits.Unlimited, "k2"), "glm-4-air", perKeyOnAir).Dispose();
        limiter.Acquire(key).Dispose();

        running.Dispose();
        limiter.Acquire(key, "glm-4-air", perKeyOnAir).Dispose();
    }
}
