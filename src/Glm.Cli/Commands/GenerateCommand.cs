using System.CommandLine;
using System.Text.Json.Nodes;
using Glm.Core;
using Glm.Core.Chat;
using Glm.Inference.Generation;
using Glm.Inference.Loading;
using Glm.Inference.Models;
using Glm.Inference.Sampling;
using Glm.Kernels.Threading;
using Glm.Tokenizers;

namespace Glm.Cli.Commands;

/// <summary><c>glm generate</c>: continue a prompt with the CPU inference engine (HF folder or .gguf).</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model: a Hugging Face folder or a chatglm .gguf file (with tokenizer.json beside it)", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text; encoded as [gMASK]<sop> + text (or as a user turn with --chat)", Required = true };
        var chat = new Option<bool>("--chat") { Description = "Render the prompt as one GLM-4 user turn followed by <|assistant|>" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most new tokens", DefaultValueFactory = _ => 128 };
        var temperature = new Option<double>("--temperature") { Description = "0 for greedy, above 0 to sample", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling threshold (1 = off)", DefaultValueFactory = _ => 1 };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int?>("--seed") { Description = "Seed for sampling" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of streaming the text" };

        var command = new Command("generate", "Generate text with the CPU inference engine")
        {
            model, prompt, chat, maxTokens, temperature, topP, topK, seed, threads, json,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            int max = parse.GetValue(maxTokens);
            if (max < 1) throw new GlmException($"--max-tokens must be at least 1, got {max}");
            SamplingOptions sampling;
            try
            {
                sampling = new SamplingOptions
                {
                    Temperature = parse.GetValue(temperature),
                    TopP = parse.GetValue(topP),
                    TopK = parse.GetValue(topK),
                    Seed = parse.GetValue(seed),
                }.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new GlmException(e.Message.Split(Environment.NewLine)[0]);
            }

            using var file = GlmModelFile.Open(parse.GetValue(model)!);
            IGlmTokenizer tokenizer = file.LoadTokenizer();
            string text = parse.GetValue(prompt)!;
            int[] ids = parse.GetValue(chat)
                ? ChatTemplate.RenderGlm4(tokenizer, [new ChatTurn(ChatRole.User, text)], addGenerationPrompt: true).Ids
                : ChatTemplate.RenderPlain(tokenizer, text);
            using var pool = new WorkerPool(parse.GetValue(threads));
            var engine = new ChatGlm(file.Weights, pool, Math.Min(file.Config.SeqLength, Math.Max(4096, ids.Length + max)));
            if (ids.Length + max > engine.ContextLength)
                throw new GlmException($"the prompt ({ids.Length} tokens) plus --max-tokens {max} exceed the context of {engine.ContextLength} tokens");
            var generator = new Generator(engine, tokenizer, file.EosTokenIds);
            var options = new GenerationOptions { MaxTokens = max, Sampling = sampling };

            if (parse.GetValue(json))
            {
                var result = generator.Generate(ids, options);
                Console.WriteLine(new JsonObject
                {
                    ["model"] = file.Path,
                    ["text"] = result.Text,
                    ["prompt_tokens"] = result.PromptIds.Length,
                    ["completion_tokens"] = result.Ids.Length,
                    ["token_ids"] = new JsonArray([.. result.Ids.Select(id => (JsonNode)id)]),
                    ["finish_reason"] = result.FinishReason.ToString().ToLowerInvariant(),
                    ["prefill_seconds"] = result.PrefillTime.TotalSeconds,
                    ["decode_tokens_per_second"] = result.DecodeTokensPerSecond,
                }.ToJsonString());
                return 0;
            }
            var state = new Generator.RunState();
            foreach (var token in generator.Stream(ids, options, state))
            {
                Console.Write(token.Text);
                Console.Out.Flush();
            }
            Console.WriteLine();
            return 0;
        }));
        return command;
    }
}
