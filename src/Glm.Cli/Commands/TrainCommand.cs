using System.CommandLine;
using Glm.Core;
using Glm.Checkpoints.HuggingFace;
using Glm.Core.Configs;
using Glm.Training.Training;
using Spectre.Console;

namespace Glm.Cli.Commands;

/// <summary><c>glm train</c>: pretrain a GLM with blank infilling (or the left-to-right baseline), resumable.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<FileInfo[]>("--data") { Description = "Training text (.txt, .txt.gz, .jsonl, .jsonl.gz); documents separated by <|endoftext|> lines", AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder: checkpoint, config.json, model.safetensors, tokenizer.json, metrics.jsonl, loss.svg", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out exactly where its last checkpoint stopped" };
        var evalData = new Option<FileInfo?>("--eval-data") { Description = "Held-out text; by default every 20th 64 KiB segment of --data is held out" };
        var tokenizer = new Option<FileInfo?>("--tokenizer") { Description = "tokenizer.json to use; by default one is trained on --data" };
        var vocab = new Option<int>("--vocab-size") { Description = "Vocabulary of the tokenizer trained when --tokenizer is not given", DefaultValueFactory = _ => 2048 };
        var family = new Option<string>("--family") { Description = "glm (the paper's model, 2-D positions) or chatglm (GLM-4 decoder)", DefaultValueFactory = _ => "glm" };
        family.AcceptOnlyFromAmong("glm", "chatglm");
        var objective = new Option<string>("--objective") { Description = "infill (GLM blank infilling), lm (left-to-right baseline) or chat (fine-tuning on --data chat JSONL, {\"messages\": [...]} per line, loss on assistant replies; use with --init-from)", DefaultValueFactory = _ => "infill" };
        objective.AcceptOnlyFromAmong("infill", "lm", "chat");
        var initFrom = new Option<DirectoryInfo?>("--init-from") { Description = "Start from this trained model folder's weights, config and tokenizer (fine-tuning or continued pretraining); size options are then ignored" };
        var layers = new Option<int>("--layers") { Description = "Transformer layers", DefaultValueFactory = _ => 4 };
        var hidden = new Option<int>("--hidden") { Description = "Model width", DefaultValueFactory = _ => 128 };
        var heads = new Option<int>("--heads") { Description = "Attention heads", DefaultValueFactory = _ => 4 };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "KV heads for chatglm (GQA); default heads/2" };
        var ffn = new Option<int?>("--ffn") { Description = "MLP width; default 4x hidden (glm) or about 8/3 x hidden (chatglm SwiGLU)" };
        var tie = new Option<bool>("--tie-embeddings") { Description = "chatglm: share the word embeddings with the output layer (saves V x C parameters)" };
        var seqLen = new Option<int>("--seq-len") { Description = "Tokens per training sequence", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--batch") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => 16 };
        var accum = new Option<int>("--grad-accum") { Description = "Micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => 1000 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (AdamW, warmup then cosine)", DefaultValueFactory = _ => 3e-3 };
        var warmup = new Option<int>("--warmup") { Description = "Warmup steps", DefaultValueFactory = _ => 50 };
        var clip = new Option<double>("--clip") { Description = "Gradient norm clip (0 = off)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long>("--seed") { Description = "Seed for initialisation and sampling", DefaultValueFactory = _ => 1234 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate every N steps", DefaultValueFactory = _ => 100 };
        var saveEvery = new Option<int>("--save-every") { Description = "Checkpoint every N steps", DefaultValueFactory = _ => 100 };
        var mix = new Option<string>("--mix") { Description = "Blank-infilling mode mix token,sentence,document ([MASK],[sMASK],[gMASK]); must sum to 1", DefaultValueFactory = _ => "0.5,0.3,0.2" };
        var device = new Option<string?>("--device") { Description = "cpu (default), cuda or cuda:N; with --resume, moves the run to that device. CUDA needs libtorch's CUDA libraries on LD_LIBRARY_PATH" };
        var timeLimit = new Option<double>("--time-limit") { Description = "Stop (with a checkpoint) after this many minutes; continue later with --resume" };

        var command = new Command("train", "Train a GLM model; Ctrl+C or --time-limit checkpoint, --resume continues exactly")
        {
            data, output, resume, evalData, tokenizer, initFrom, vocab, family, objective, layers, hidden, heads, kvHeads, ffn, tie,
            seqLen, batch, accum, steps, lr, warmup, clip, seed, evalEvery, saveEvery, mix, timeLimit, device,
        };
        command.SetAction((parse, cancel) => CliRunner.Run(() =>
        {
            string outDir = parse.GetValue(output)!.FullName;
            double? limit = parse.GetValue(timeLimit) is > 0 and var minutes ? minutes * 60 : null;
            Trainer trainer;
            if (parse.GetValue(resume))
            {
                trainer = Trainer.Resume(outDir, limit, parse.GetValue(device));
            }
            else
            {
                var files = parse.GetValue(data) ?? [];
                if (files.Length == 0) throw new GlmException("--data is required (or --resume to continue a run)");
                foreach (var f in files)
                    if (!f.Exists) throw new GlmException($"data file {f.FullName} does not exist");
                var eval = parse.GetValue(evalData);
                if (eval is { Exists: false }) throw new GlmException($"eval file {eval.FullName} does not exist");
                if (Directory.Exists(Path.Combine(outDir, "checkpoint")))
                    throw new GlmException($"{outDir} already holds a run; use --resume to continue it or choose another --out");
                Glm.Checkpoints.HuggingFace.ModelConfig ModelConfig(int vocabSize) => ModelConfigs.Build(parse.GetValue(family)!, vocabSize,
                    parse.GetValue(layers), parse.GetValue(hidden), parse.GetValue(heads), parse.GetValue(kvHeads), parse.GetValue(ffn), parse.GetValue(seqLen), parse.GetValue(tie));
                var options = new TrainingOptions
                {
                    Objective = parse.GetValue(objective) switch { "lm" => TrainingObjective.LeftToRight, "chat" => TrainingObjective.Chat, _ => TrainingObjective.Infill },
                    SeqLength = parse.GetValue(seqLen),
                    BatchSize = parse.GetValue(batch),
                    GradAccumulation = parse.GetValue(accum),
                    Steps = parse.GetValue(steps),
                    LearningRate = parse.GetValue(lr),
                    WarmupSteps = parse.GetValue(warmup),
                    GradClip = parse.GetValue(clip),
                    Seed = parse.GetValue(seed),
                    Device = parse.GetValue(device) ?? "cpu",
                    EvalInterval = parse.GetValue(evalEvery),
                    CheckpointInterval = parse.GetValue(saveEvery),
                    TimeLimitSeconds = limit ?? 0,
                    TokenSpanProbability = Mix(parse.GetValue(mix)!)[0],
                    SentenceSpanProbability = Mix(parse.GetValue(mix)!)[1],
                    DocumentSpanProbability = Mix(parse.GetValue(mix)!)[2],
                }.Validate();
                var paths = files.Select(f => f.FullName).ToList();
                if (parse.GetValue(initFrom) is { } init)
                {
                    if (!init.Exists) throw new GlmException($"--init-from {init.FullName} does not exist");
                    string initTokenizer = Path.Combine(init.FullName, "tokenizer.json");
                    if (!File.Exists(initTokenizer)) throw new GlmException($"--init-from {init.FullName} has no tokenizer.json");
                    trainer = Trainer.StartNew(outDir, ModelConfigFile.Read(init.FullName), initTokenizer, paths, eval?.FullName, options, init.FullName);
                }
                else
                {
                    if (options.Objective == TrainingObjective.Chat && parse.GetValue(tokenizer) is null)
                        throw new GlmException("--objective chat fine-tunes a trained model: give --init-from MODEL_DIR (or --tokenizer to start from random weights)");
                    var config = ModelConfig(parse.GetValue(vocab));  // checks the sizes before any tokenizer work
                    string tokenizerPath = parse.GetValue(tokenizer)?.FullName ?? TrainTokenizer(paths, parse.GetValue(vocab), outDir);
                    config = ModelConfig(Glm.Tokenizers.ByteLevelBpeTokenizer.Load(tokenizerPath).VocabSize);
                    trainer = Trainer.StartNew(outDir, config, tokenizerPath, paths, eval?.FullName, options);
                }
            }
            using (trainer)
            {
                var final = TrainingView.Run(trainer, cancel);
                Console.WriteLine(final is null
                    ? $"stopped at step {trainer.Step}; continue with: glm train --out {outDir} --resume"
                    : $"done: held-out loss {final.Loss:0.000} (perplexity {final.Perplexity:0.00}); model in {outDir}");
            }
            return 0;
        }));
        return command;
    }

    private static double[] Mix(string text)
    {
        var parts = text.Split(',');
        var values = new double[3];
        if (parts.Length != 3 || !parts.Select((p, i) => double.TryParse(p, System.Globalization.CultureInfo.InvariantCulture, out values[i])).All(ok => ok))
            throw new GlmException($"--mix takes three numbers token,sentence,document such as 0.5,0.3,0.2; got \"{text}\"");
        return values;
    }

    private static string TrainTokenizer(IReadOnlyList<string> files, int vocabSize, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var documents = CorpusText.Documents(files);
        var tokenizer = Glm.Tokenizers.BpeTrainer.Train(documents, new Glm.Tokenizers.BpeTrainerOptions { VocabSize = vocabSize });
        string path = Path.Combine(outDir, "tokenizer.json");
        tokenizer.Save(path);
        CliRunner.Status.MarkupLine($"[grey]trained a {tokenizer.VocabSize}-token tokenizer: {Markup.Escape(path)}[/]");
        return path;
    }
}
