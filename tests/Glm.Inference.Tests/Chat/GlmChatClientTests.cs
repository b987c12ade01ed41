using System.Diagnostics;
using System.Text;
using Glm.Core;
using Glm.Core.Chat;
using Glm.Inference.Chat;
using Glm.Inference.Generation;
using Glm.Inference.Loading;
using Glm.Inference.Models;
using Glm.Inference.Sampling;
using Glm.Kernels.Threading;
using Glm.Tokenizers;
using Microsoft.Extensions.AI;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Glm.Inference.Tests.Chat;

public sealed class GlmChatClientTests : IClassFixture<GlmChatClientTests.Model>
{
    /// <summary>One tiny model and client for the class (the client batches concurrent requests, so tests may share it).</summary>
    public sealed class Model : IDisposable
    {
        public TinyChatModel Files { get; } = new();

        public GlmChatClient Client { get; }

        public Model() => Client = Files.OpenClient();

        public void Dispose()
        {
            Client.Dispose();
            Files.Dispose();
        }
    }

    private static readonly ChatMessage[] Conversation =
    [
        new(AiChatRole.System, "You are a helpful assistant."),
        new(AiChatRole.User, "Hello! How are you today?"),
    ];

    private static readonly ChatOptions Greedy40 = new() { Temperature = 0, MaxOutputTokens = 40 };

    private readonly Model _model;

    public GlmChatClientTests(Model model) => _model = model;

    [Fact]
    public async Task Greedy_reply_follows_the_glm4_template_and_reports_usage()
    {
        var turns = new[] { new ChatTurn(Glm.Core.Chat.ChatRole.System, "You are a helpful assistant."), new ChatTurn(Glm.Core.Chat.ChatRole.User, "Hello! How are you today?") };
        int[] prompt = ChatTemplate.RenderGlm4(_model.Files.Tokenizer, turns, addGenerationPrompt: true).Ids;
        GenerationResult expected;
        using (var file = GlmModelFile.Open(_model.Files.ModelPath))
        using (var pool = new WorkerPool(1))
        {
            var generator = new Generator(new ChatGlm(file.Weights, pool), _model.Files.Tokenizer, file.EosTokenIds);
            expected = generator.Generate(prompt, new GenerationOptions { MaxTokens = 40 });
        }

        ChatResponse response = await _model.Client.GetResponseAsync(Conversation, Greedy40);
        Assert.Equal(expected.Text.StartsWith('\n') ? expected.Text[1..] : expected.Text, response.Text); // the format's newline is not reply text
        Assert.Equal(prompt.Length, response.Usage?.InputTokenCount);
        Assert.Equal(expected.Ids.Length, response.Usage?.OutputTokenCount);
        Assert.Equal(prompt.Length + expected.Ids.Length, response.Usage?.TotalTokenCount);
        Assert.Equal(expected.FinishReason == FinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(AiChatRole.Assistant, Assert.Single(response.Messages).Role);

        ChatResponse again = await _model.Client.GetResponseAsync(Conversation, Greedy40);
        Assert.Equal(response.Text, again.Text);
    }

    [Fact]
    public async Task Max_output_tokens_ends_the_reply_with_length()
    {
        ChatResponse response = await _model.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 3 });
        Assert.True(response.FinishReason == ChatFinishReason.Length, $"finish {response.FinishReason}, text '{response.Text}'");
        Assert.Equal(3, response.Usage?.OutputTokenCount);
    }

    [Fact]
    public async Task Streamed_updates_concatenate_to_the_non_streaming_text()
    {
        var text = new StringBuilder();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _model.Client.GetStreamingResponseAsync(Conversation, Greedy40))
        {
            updates.Add(update);
            text.Append(update.Text);
        }
        ChatResponse whole = await _model.Client.GetResponseAsync(Conversation, Greedy40);
        Assert.True(text.Length > 0, "the reply is empty");
        Assert.Equal(whole.Text, text.ToString());
        Assert.True(updates.Count > 2, $"only {updates.Count} updates: the reply was not streamed");
        Assert.All(updates[..^1], u => Assert.Null(u.FinishReason));
        Assert.NotNull(updates[^1].FinishReason);
        Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.All(updates, u => Assert.Equal(updates[0].ResponseId, u.ResponseId));
    }

    [Fact]
    public async Task A_stop_sequence_ends_the_text_just_before_it()
    {
        string full = (await _model.Client.GetResponseAsync(Conversation, Greedy40)).Text;
        Assert.True(full.Length >= 8, $"the test needs a longer greedy reply than '{full}'");
        string stop = full.Substring(full.Length / 2, 2);
        string expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];

        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 40, StopSequences = [stop] };
        ChatResponse stopped = await _model.Client.GetResponseAsync(Conversation, options);
        Assert.Equal(expected, stopped.Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
        Assert.True(stopped.Usage?.OutputTokenCount < 40);
    }

    [Fact]
    public async Task Seeded_sampling_is_reproducible_and_the_seed_matters()
    {
        ChatOptions Sampled(long seed) => new() { Temperature = 1.5f, TopP = 0.98f, Seed = seed, MaxOutputTokens = 30 };
        string a = (await _model.Client.GetResponseAsync(Conversation, Sampled(11))).Text;
        Assert.Equal(a, (await _model.Client.GetResponseAsync(Conversation, Sampled(11))).Text);
        var others = new List<string>();
        for (long seed = 12; seed < 15; seed++) others.Add((await _model.Client.GetResponseAsync(Conversation, Sampled(seed))).Text);
        Assert.Contains(others, text => text != a);
    }

    [Fact]
    public async Task Cancellation_stops_generation_promptly_and_frees_the_model()
    {
        using var cts = new CancellationTokenSource();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 200, StopSequences = [] };
        int afterCancel = 0;
        var clock = new Stopwatch();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in _model.Client.GetStreamingResponseAsync(Conversation, options, cts.Token))
            {
                if (cts.IsCancellationRequested)
                {
                    afterCancel++;
                    continue;
                }
                cts.Cancel();
                clock.Start();
            }
        });
        Assert.Equal(0, afterCancel);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"cancellation took {clock.Elapsed}");

        var next = _model.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 5 });
        Assert.Equal(5, (await next.WaitAsync(TimeSpan.FromSeconds(30))).Usage?.OutputTokenCount);
    }

    [Fact]
    public async Task Concurrent_requests_run_in_one_batch_and_each_gets_its_own_reply()
    {
        ChatMessage[][] conversations = [.. Enumerable.Range(0, 4).Select(i => new[] { new ChatMessage(AiChatRole.User, $"Question number {i}: how are you?") })];
        var alone = new List<string>();
        foreach (var conversation in conversations) alone.Add((await _model.Client.GetResponseAsync(conversation, Greedy40)).Text);

        int mostRunning = 0;
        using var watching = new CancellationTokenSource();
        Task watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                mostRunning = Math.Max(mostRunning, _model.Client.Gauges.Running);
                await Task.Delay(1);
            }
        });
        var replies = await Task.WhenAll(conversations.Select(c => Task.Run(async () =>
        {
            var text = new StringBuilder();
            await foreach (var update in _model.Client.GetStreamingResponseAsync(c, Greedy40))
            {
                text.Append(update.Text);
                await Task.Delay(20); // a slow reader: the others keep decoding meanwhile
            }
            return text.ToString();
        })));
        watching.Cancel();
        await watcher;

        Assert.Equal(alone, replies);
        Assert.True(mostRunning > 1, $"at most {mostRunning} request ran at a time");
    }

    [Fact]
    public async Task A_continued_conversation_reuses_the_cached_prefix()
    {
        ChatResponse first = await _model.Client.GetResponseAsync(Conversation, Greedy40);
        ChatMessage[] continued = [.. Conversation, .. first.Messages, new(AiChatRole.User, "Tell me more.")];
        ChatResponse second = await _model.Client.GetResponseAsync(continued, Greedy40);

        Assert.True(second.Usage?.CachedInputTokenCount >= first.Usage?.InputTokenCount,
            $"{second.Usage?.CachedInputTokenCount} of {second.Usage?.InputTokenCount} prompt tokens were cached; the first turn alone had {first.Usage?.InputTokenCount}");
        Assert.True(second.Usage?.CachedInputTokenCount < second.Usage?.InputTokenCount);
    }

    [Fact]
    public async Task A_conversation_too_long_for_the_context_is_refused()
    {
        var huge = new ChatMessage(AiChatRole.User, string.Concat(Enumerable.Repeat("The quick brown fox. ", 200)));
        var e = await Assert.ThrowsAsync<GlmException>(() => _model.Client.GetResponseAsync([huge]));
        Assert.Contains("context holds 256", e.Message);
    }

    [Fact]
    public void Instructions_become_a_system_turn_and_tool_results_an_observation()
    {
        var tokenizer = _model.Files.Tokenizer;
        ChatMessage[] messages = [new(AiChatRole.User, "What is 2+2?"), new(AiChatRole.Assistant, "Let me check."), new(AiChatRole.Tool, "4")];
        int[] rendered = ChatRequestMapping.RenderPrompt(tokenizer, messages, instructions: "Be brief.");
        Glm.Core.Chat.ChatTurn[] turns =
        [
            new(Glm.Core.Chat.ChatRole.System, "Be brief."), new(Glm.Core.Chat.ChatRole.User, "What is 2+2?"),
            new(Glm.Core.Chat.ChatRole.Assistant, "Let me check."), new(Glm.Core.Chat.ChatRole.Observation, "4"),
        ];
        Assert.Equal(ChatTemplate.RenderGlm4(tokenizer, turns, addGenerationPrompt: true).Ids, rendered);
        Assert.Equal(tokenizer.Special.Assistant, rendered[^1]);
    }

    [Fact]
    public void Chat_options_map_to_the_engine_options()
    {
        var options = new ChatOptions
        {
            Temperature = 0.7f, TopP = 0.9f, TopK = 40, Seed = 42, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f,
            MaxOutputTokens = 100, StopSequences = ["\n\n"],
            AdditionalProperties = new() { ["repetition_penalty"] = 1.1, ["min_p"] = "0.05" },
        };
        GenerationOptions mapped = ChatRequestMapping.ToGenerationOptions(options, SamplingOptions.Greedy, maxTokens: 60);
        Assert.Equal(60, mapped.MaxTokens);
        Assert.Equal(["\n\n"], mapped.StopStrings);
        Assert.Equal(0.7, mapped.Sampling.Temperature, 1e-6);
        Assert.Equal(0.9, mapped.Sampling.TopP, 1e-6);
        Assert.Equal(40, mapped.Sampling.TopK);
        Assert.Equal(42, mapped.Sampling.Seed);
        Assert.Equal(0.5, mapped.Sampling.FrequencyPenalty, 1e-6);
        Assert.Equal(0.25, mapped.Sampling.PresencePenalty, 1e-6);
        Assert.Equal(1.1, mapped.Sampling.RepetitionPenalty, 1e-9);
        Assert.Equal(0.05, mapped.Sampling.MinP, 1e-9);

        var greedy = ChatRequestMapping.ToGenerationOptions(new ChatOptions { Temperature = 0.8f, AdditionalProperties = new() { ["do_sample"] = false } }, SamplingOptions.Greedy, 10);
        Assert.Equal(0, greedy.Sampling.Temperature);
        Assert.Equal(10, greedy.MaxTokens);

        var bad = Assert.Throws<GlmException>(() => ChatRequestMapping.ToGenerationOptions(new ChatOptions { TopP = 1.5f }, SamplingOptions.Greedy, 10));
        Assert.Contains("top_p", bad.Message);
    }
}
