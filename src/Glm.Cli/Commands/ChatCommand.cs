using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Glm.Core;
using Glm.Inference.Chat;
using Glm.Inference.Scheduling;
using Glm.Inference.Sampling;
using Microsoft.Extensions.AI;

namespace Glm.Cli.Commands;

/// <summary>
/// <c>glm chat</c>: a multi-turn conversation with the CPU engine through <see cref="GlmChatClient"/>. Reads stdin line
/// by line (one line = one user turn, so it can be scripted), streams each reply to stdout as it is generated, and
/// prints token counts and speed on stderr. <c>/reset</c> forgets the conversation, <c>/exit</c> or end of input ends.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model: a Hugging Face folder or a chatglm .gguf file (with tokenizer.json beside it)", Required = true };
        var system = new Option<string?>("--system") { Description = "System prompt, kept across /reset" };
        var temperature = new Option<double>("--temperature") { Description = "0 for greedy, above 0 to sample", DefaultValueFactory = _ => 0.8 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling threshold (1 = off)", DefaultValueFactory = _ => 0.8 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most new tokens per reply", DefaultValueFactory = _ => 512 };
        var seed = new Option<int?>("--seed") { Description = "Seed for sampling (replies are then reproducible)" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var context = new Option<int>("--context") { Description = "Context length in tokens (0 = the model's, at most 4096)", DefaultValueFactory = _ => 0 };

        var command = new Command("chat", "Chat with a model in the terminal (one line per turn; /reset, /exit)")
        {
            model, system, temperature, topP, maxTokens, seed, threads, context,
        };
        command.SetAction((parse, cancel) => CliRunner.Run(async () =>
        {
            int max = parse.GetValue(maxTokens);
            if (max < 1) throw new GlmException($"--max-tokens must be at least 1, got {max}");
            var options = new ChatOptions
            {
                Temperature = (float)parse.GetValue(temperature),
                TopP = (float)parse.GetValue(topP),
                MaxOutputTokens = max,
                Seed = parse.GetValue(seed),
            };
            ChatRequestMapping.ToGenerationOptions(options, SamplingOptions.Greedy, max); // reject bad values before loading the model
            // One conversation: one KV slot, which keeps the conversation so far, so each turn reads only its new tokens.
            using var client = GlmChatClient.Open(parse.GetValue(model)!, parse.GetValue(threads), parse.GetValue(context),
                scheduling: new BatchSchedulerOptions { Slots = 1, MaxQueuedRequests = 0 });
            string? systemPrompt = parse.GetValue(system);
            var history = new List<ChatMessage>();
            void Reset()
            {
                history.Clear();
                if (!string.IsNullOrEmpty(systemPrompt)) history.Add(new ChatMessage(ChatRole.System, systemPrompt));
            }
            Reset();

            bool interactive = !Console.IsInputRedirected;
            if (interactive) Console.Error.WriteLine($"{client.Metadata.DefaultModelId}: type a message; /reset starts over, /exit quits.");
            while (true)
            {
                if (interactive) Console.Error.Write("> ");
                string? line = await Console.In.ReadLineAsync(cancel);
                if (line is null || line.Trim() == "/exit") return 0;
                if (line.Trim() == "/reset")
                {
                    Reset();
                    Console.Error.WriteLine("(conversation reset)");
                    continue;
                }
                if (line.Trim().Length == 0) continue;

                history.Add(new ChatMessage(ChatRole.User, line));
                var reply = new List<ChatResponseUpdate>();
                var clock = Stopwatch.StartNew();
                try
                {
                    await foreach (var update in client.GetStreamingResponseAsync(history, options, cancel))
                    {
                        Console.Write(update.Text);
                        Console.Out.Flush();
                        reply.Add(update);
                    }
                }
                catch (GlmException e)
                {
                    // Most likely the conversation outgrew the context: say so and let the user go on or /reset.
                    history.RemoveAt(history.Count - 1);
                    Console.WriteLine();
                    Console.Error.WriteLine($"error: {e.Message} (/reset starts over)");
                    continue;
                }
                Console.WriteLine();
                ChatResponse response = reply.ToChatResponse();
                history.AddMessages(response);
                Console.Error.WriteLine(Stats(response, reply[^1], clock.Elapsed));
            }
        }));
        return command;
    }

    /// <summary>One line: prompt and reply tokens, decode speed (reply tokens after the first per decode second).</summary>
    private static string Stats(ChatResponse response, ChatResponseUpdate last, TimeSpan total)
    {
        long input = response.Usage?.InputTokenCount ?? 0, output = response.Usage?.OutputTokenCount ?? 0;
        double decode = last.AdditionalProperties?.TryGetValue(GlmChatClient.DecodeSecondsKey, out double seconds) == true ? seconds : total.TotalSeconds;
        double speed = output > 1 && decode > 0 ? (output - 1) / decode : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"[{input} prompt tokens, {output} reply tokens, {speed:0.0} tokens/s, finish {response.FinishReason?.Value ?? "?"}]");
    }
}
