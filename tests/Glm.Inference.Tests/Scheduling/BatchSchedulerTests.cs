using System.Diagnostics;
using Glm.Inference.Generation;
using Glm.Inference.Sampling;
using Glm.Inference.Scheduling;
using Glm.Kernels.Quant;

namespace Glm.Inference.Tests.Scheduling;

/// <summary>
/// The scheduler on a real tiny model: what each request gets must not depend on who else runs (checked against the
/// one-sequence <see cref="Generator"/> on a second model over the same file).
/// </summary>
public sealed class BatchSchedulerTests
{
    private static readonly GenerationOptions Greedy = new() { MaxTokens = 20, StopTokenIds = [] };

    /// <summary>
    /// A request that outlives the test (ended by cancelling or disposing): thousands of steps, while whatever the
    /// test does next takes tens of steps, so no timing on a loaded machine lets it finish first.
    /// </summary>
    private static readonly GenerationOptions Endless = new() { MaxTokens = 4000, StopTokenIds = [] };

    /// <summary>
    /// A model with room for <see cref="Endless"/>, wide and deep enough that its 4,000 tokens take seconds even on a fast
    /// idle machine: the tests that cancel or dispose it must find it still running.
    /// </summary>
    private static SchedulingModel LongContextModel() => SchedulingModel.ChatGlm(GgmlType.F32, hidden: 256, layers: 4, context: 4096);

    private static GenerationOptions Seeded(int seed) => new()
    {
        MaxTokens = 20, StopTokenIds = [], Sampling = new SamplingOptions { Temperature = 0.9, TopK = 40, Seed = seed },
    };

    private sealed record Outcome(int[] Ids, string Text, FinishReason Finish, GenerationUsage Usage);

    private static async Task<Outcome> Collect(IAsyncEnumerable<ScheduledUpdate> updates, Action<int>? onToken = null, Action<int>? onId = null)
    {
        var ids = new List<int>();
        var text = new System.Text.StringBuilder();
        await foreach (var update in updates)
        {
            text.Append(update.Text);
            if (update.IsEnd) return new Outcome([.. ids], text.ToString(), update.Finish!.Value, update.Usage!);
            ids.Add(update.Id);
            onId?.Invoke(update.Id);
            onToken?.Invoke(ids.Count);
        }
        throw new InvalidOperationException("the updates ended without a finish");
    }

    private static GenerationResult Alone(SchedulingModel files, int[] prompt, GenerationOptions options) =>
        new Generator(files.Open(), files.Tokenizer, files.EosTokenIds).Generate(prompt, options);

    [Fact]
    public async Task Concurrent_requests_get_exactly_what_each_gets_alone()
    {
        using var files = SchedulingModel.ChatGlm(GgmlType.Q8_0);
        using var scheduler = new BatchScheduler(files.Open(), files.Tokenizer, files.EosTokenIds, new BatchSchedulerOptions { Slots = 4 });
        int[][] prompts = [.. Enumerable.Range(0, 8).Select(i => files.Prompt(i, 5 + 2 * i))];
        GenerationOptions[] options = [.. Enumerable.Range(0, 8).Select(i => i < 4 ? Greedy : Seeded(i))];

        // 8 requests on 4 slots: four run together, the others wait and join as slots free up.
        Outcome[] outcomes = await Task.WhenAll(prompts.Select((p, i) => Collect(scheduler.Submit(p, options[i]))));

        for (int i = 0; i < prompts.Length; i++)
        {
            GenerationResult alone = Alone(files, prompts[i], options[i]);
            Assert.Equal(alone.Ids, outcomes[i].Ids);
            Assert.Equal(alone.Text, outcomes[i].Text);
            Assert.Equal(FinishReason.Length, outcomes[i].Finish);
            Assert.Equal(new GenerationUsage(prompts[i].Length, 0, 20), outcomes[i].Usage);
        }
        var gauges = scheduler.Gauges;
        Assert.Equal(new SchedulerGauges(0, 0, 0, 4, 0, 4 * scheduler.ContextLength, 8 * 20, 0), gauges);
    }

    [Fact]
    public async Task Requests_joining_while_others_run_are_served()
    {
        using var files = LongContextModel();
        using var scheduler = new BatchScheduler(files.Open(), files.Tokenizer, files.EosTokenIds, new BatchSchedulerOptions { Slots = 3, PrefillChunk = 4 });
        using var cancel = new CancellationTokenSource();
        var firstIds = new List<int>();
        Task<Outcome> first = Collect(scheduler.Submit(files.Prompt(0, 8), Endless, cancel.Token), onId: firstIds.Add);
        await WaitFor(() => scheduler.Gauges.TokensGenerated >= 3);
        var running = scheduler.Gauges;
        Assert.Equal(1, running.SlotsInUse);
        Assert.True(running.KvTokensInUse >= 8 + 2, $"the running sequence holds {running.KvTokensInUse} cached tokens");

        Task<Outcome> second = Collect(scheduler.Submit(files.Prompt(1, 12), Greedy));
        Task<Outcome> third = Collect(scheduler.Submit(files.Prompt(2, 9), Seeded(3)));
        Outcome b = await second, c = await third;
        Assert.False(first.IsCompleted, "the long request should still be running when the joiners finish");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        Assert.Equal(Alone(files, files.Prompt(1, 12), Greedy).Ids, b.Ids);
        Assert.Equal(Alone(files, files.Prompt(2, 9), Seeded(3)).Ids, c.Ids);
        int[] a = [.. firstIds];
        Assert.True(a.Length > 20);
        Assert.Equal(Alone(files, files.Prompt(0, 8), Endless with { MaxTokens = a.Length }).Ids, a);
    }

    [Fact]
    public async Task A_cancelled_request_frees_its_slot_at_once_and_the_others_go_on()
    {
        using var files = LongContextModel();
        using var scheduler = new BatchScheduler(files.Open(), files.Tokenizer, files.EosTokenIds,
            new BatchSchedulerOptions { Slots = 2, MaxQueuedRequests = 0 });
        using var cancel = new CancellationTokenSource();
        int read = 0;
        Task<Outcome> cancelled = Collect(scheduler.Submit(files.Prompt(0, 6), Endless, cancel.Token), n => read = n);
        Task<Outcome> other = Collect(scheduler.Submit(files.Prompt(1, 7), Greedy));
        await WaitFor(() => read >= 3);

        Assert.False(cancelled.IsCompleted, "the endless request ended before it was cancelled");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var clock = Stopwatch.StartNew();
        await WaitFor(() => scheduler.Gauges.SlotsInUse < 2);
        Assert.True(clock.ElapsedMilliseconds < 2000, $"the slot was freed after {clock.ElapsedMilliseconds} ms");

        // The freed slot takes a new request at once (the queue holds none), and the survivor is unharmed.
        Outcome next = await Collect(scheduler.Submit(files.Prompt(2, 5), Greedy));
        Assert.Equal(Alone(files, files.Prompt(2, 5), Greedy).Ids, next.Ids);
        Assert.Equal(Alone(files, files.Prompt(1, 7), Greedy).Ids, (await other).Ids);
        Assert.True(scheduler.Gauges.TokensGenerated < Endless.MaxTokens);
    }

    [Fact]
    public async Task Overflowing_the_queue_is_refused_with_a_retry_hint()
    {
        using var files = LongContextModel();
        using var scheduler = new BatchScheduler(files.Open(), files.Tokenizer, files.EosTokenIds,
            new BatchSchedulerOptions { Slots = 1, MaxQueuedRequests = 1 });
        using var cancel = new CancellationTokenSource();
        Task<Outcome> running = Collect(scheduler.Submit(files.Prompt(0, 6), Endless, cancel.Token));
        Task<Outcome> queued = Collect(scheduler.Submit(files.Prompt(1, 6), Greedy));

        var refused = Assert.Throws<SchedulerBusyException>(() => scheduler.Submit(files.Prompt(2, 6), Greedy));
        Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1));
        var gauges = scheduler.Gauges;
        Assert.Equal(2, gauges.QueueDepth + gauges.Running);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(Alone(files, files.Prompt(1, 6), Greedy).Ids, (await queued).Ids);
    }

    [Fact]
    public async Task A_prompt_continuing_a_slot_reuses_its_cache_and_reports_cached_tokens()
    {
        using var files = SchedulingModel.ChatGlm(GgmlType.F32);
        using var scheduler = new BatchScheduler(files.Open(), files.Tokenizer, files.EosTokenIds, new BatchSchedulerOptions { Slots = 1 });
        int[] turn1 = files.Prompt(3, 14);
        Outcome first = await Collect(scheduler.Submit(turn1, Greedy));

        // The next turn: the previous prompt, the reply, and new text. The slot holds the prompt and every reply token
        // but the last (which was sampled, never fed).
        int[] turn2 = [.. turn1, .. first.Ids, .. files.Prompt(4, 6)];
        Outcome second = await Collect(scheduler.Submit(turn2, Greedy));

        Assert.Equal(turn1.Length + first.Ids.Length - 1, second.Usage.CachedTokens);
        Assert.Equal(turn2.Length, second.Usage.PromptTokens);
        Assert.Equal(Alone(files, turn2, Greedy).Ids, second.Ids);
        Assert.Equal(second.Usage.CachedTokens, scheduler.Gauges.CachedPromptTokens);

        // An unrelated prompt reuses nothing and still gives its own tokens.
        Outcome third = await Collect(scheduler.Submit(files.Prompt(5, 9), Greedy));
        Assert.Equal(0, third.Usage.CachedTokens);
        Assert.Equal(Alone(files, files.Prompt(5, 9), Greedy).Ids, third.Ids);
    }

    [Fact]
    public async Task A_repeated_prompt_computes_only_its_last_token_within_a_decode_step()
    {
        using var files = SchedulingModel.ChatGlm(GgmlType.Q8_0);
        using var scheduler = new BatchScheduler(files.Open(), files.Tokenizer, files.EosTokenIds, new BatchSchedulerOptions { Slots = 2 });
        int[] prompt = files.Prompt(6, 11), otherPrompt = files.Prompt(7, 8);
        Outcome first = await Collect(scheduler.Submit(prompt, Greedy));

        // The same prompt again while another request decodes: its slot holds the whole prompt, so only the last token
        // is fed, together with the other request's token.
        Task<Outcome> other = Collect(scheduler.Submit(otherPrompt, Greedy));
        Outcome again = await Collect(scheduler.Submit(prompt, Greedy));

        Assert.Equal(prompt.Length - 1, again.Usage.CachedTokens);
        Assert.Equal(prompt.Length, again.Usage.PromptTokens);
        Assert.Equal(first.Ids, again.Ids);
        Assert.Equal(Alone(files, prompt, Greedy).Ids, again.Ids);
        Assert.Equal(Alone(files, otherPrompt, Greedy).Ids, (await other).Ids);
    }

    [Fact]
    public async Task A_prompt_sharing_a_running_requests_prefix_copies_it_from_that_slot()
    {
        using var files = LongContextModel();
        using var scheduler = new BatchScheduler(files.Open(), files.Tokenizer, files.EosTokenIds, new BatchSchedulerOptions { Slots = 2 });
        using var cancel = new CancellationTokenSource();
        int[] shared = files.Prompt(8, 20), prompt = [.. shared, .. files.Prompt(9, 5)];
        int read = 0;
        Task<Outcome> running = Collect(scheduler.Submit(shared, Endless, cancel.Token), n => read = n);
        await WaitFor(() => read >= 2);

        // The other slot is empty: the shared prompt's keys and values come from the running request's slot.
        Outcome copied = await Collect(scheduler.Submit(prompt, Greedy));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.Equal(shared.Length, copied.Usage.CachedTokens);
        Assert.Equal(Alone(files, prompt, Greedy).Ids, copied.Ids);
    }

    [Fact]
    public async Task A_bad_request_fails_alone_and_disposing_ends_the_rest()
    {
        using var files = LongContextModel();
        using var scheduler = new BatchScheduler(files.Open(), files.Tokenizer, files.EosTokenIds, new BatchSchedulerOptions { Slots = 2 });
        Assert.Throws<Core.GlmException>(() => scheduler.Submit(new int[scheduler.ContextLength], Greedy));
        Task<Outcome> running = Collect(scheduler.Submit(files.Prompt(0, 6), Endless));

        // A token id outside the vocabulary fails that request when it is prefilled; the other one goes on.
        await Assert.ThrowsAsync<Core.GlmException>(() => Collect(scheduler.Submit([1, 2, 1 << 20], Greedy)));
        Assert.False(running.IsCompleted);
        Outcome fine = await Collect(scheduler.Submit(files.Prompt(1, 6), Greedy));
        Assert.Equal(Alone(files, files.Prompt(1, 6), Greedy).Ids, fine.Ids);

        Assert.False(running.IsCompleted, "the endless request ended before the scheduler was disposed");
        scheduler.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => running);
        Assert.Throws<ObjectDisposedException>(() => scheduler.Submit(files.Prompt(2, 6), Greedy));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "timed out waiting for the scheduler");
            await Task.Delay(1);
        }
    }
}
