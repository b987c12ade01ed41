using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json.Nodes;
using Glm.Checkpoints.Gguf;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Inference;
using Glm.Inference.Loading;
using Glm.Inference.Models;
using Glm.Kernels.Quant;
using Glm.Kernels.Threading;
using Glm.Tokenizers;

namespace Glm.Cli.Commands;

/// <summary>
/// <c>glm bench</c>: whole-model speed of the engine on a GGUF file (prompt processing and generation tokens/s,
/// decode GB/s against the machine's measured read bandwidth), optionally side by side with llama.cpp on the same
/// file; and <c>glm bench make-model</c>, random GLM-4-shaped GGUF files to measure on.
/// </summary>
/// <remarks>
/// llama.cpp runs in a child process (bench/Glm.Bench, built separately), so LLamaSharp and its native backend never
/// become references of <c>glm</c>. The two engines take turns, each measured while the other waits, and both are fed
/// the same token ids (byte tokens, so any vocabulary has them).
/// </remarks>
internal static class BenchCommand
{
    private const string WorkerDll = "Glm.Bench.dll";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The .gguf file to measure", Required = true };
        var vs = new Option<string?>("--vs") { Description = "Also measure another engine on the same file: llama.cpp" };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length for prompt processing", DefaultValueFactory = _ => 128 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "Tokens generated one at a time", DefaultValueFactory = _ => 64 };
        var repeat = new Option<int>("--repeat") { Description = "Runs per engine; the median is reported", DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch") { Description = "Also measure batched decode of this many sequences (our engine only; 1 = off)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Threads for each engine and the bandwidth probe (0 = all cores)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var worker = new Option<string?>("--llama-worker") { Description = $"Path to {WorkerDll} (default: beside glm, or bench/Glm.Bench/bin/*/ above the current folder)" };

        var command = new Command("bench", "Measure the engine's speed on a .gguf file, optionally against llama.cpp")
        {
            model, vs, promptTokens, genTokens, repeat, batch, threads, json, worker, CreateMakeModel(), BenchServeCommand.Create(),
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var settings = new Settings(parse.GetValue(model)!, parse.GetValue(promptTokens), parse.GetValue(genTokens),
                parse.GetValue(repeat), parse.GetValue(threads) > 0 ? parse.GetValue(threads) : Environment.ProcessorCount,
                parse.GetValue(batch));
            string? other = parse.GetValue(vs);
            if (other is not null && other != "llama.cpp") throw new GlmException($"--vs '{other}' is not supported; the one reference engine is llama.cpp");
            if (settings.PromptTokens < 1 || settings.GenTokens < 1 || settings.Repeat < 1 || settings.Batch < 1)
                throw new GlmException("--prompt-tokens, --gen-tokens, --repeat and --batch must be at least 1");
            Report report = Run(settings, other is null ? null : FindWorker(parse.GetValue(worker)));
            Console.WriteLine(parse.GetValue(json) ? report.ToJson().ToJsonString() : report.ToTable());
            return 0;
        }));
        return command;
    }

    /// <summary><c>glm bench make-model</c>: a GLM-4-shaped <c>chatglm</c> GGUF with random weights, for measuring.</summary>
    private static Command CreateMakeModel()
    {
        var output = new Option<string>("--output") { Description = "Folder to write the .gguf file (and a tokenizer.json) into", Required = true };
        var size = new Option<string>("--size") { Description = "1b (GLM-4 vocabulary, about 1.2B parameters), 100m (32k vocabulary) or tiny", DefaultValueFactory = _ => "1b" };
        var type = new Option<string>("--type") { Description = "Matrix storage: f16, q8_0 or q4_0", DefaultValueFactory = _ => "q8_0" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random weights", DefaultValueFactory = _ => 1 };

        var command = new Command("make-model", "Write a GLM-4-shaped .gguf file with random weights (for glm bench)") { output, size, type, seed };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string sizeName = parse.GetValue(size)!.ToLowerInvariant(), typeName = parse.GetValue(type)!.ToLowerInvariant();
            GgmlType storage = typeName switch
            {
                "f16" => GgmlType.F16,
                "q8_0" => GgmlType.Q8_0,
                "q4_0" => GgmlType.Q4_0,
                _ => throw new GlmException($"--type '{typeName}' is not one of f16, q8_0, q4_0"),
            };
            // GLM-4-9B's shape (head dim 128, 2 KV groups, SwiGLU ≈ 3.34·C, QKV bias) scaled down.
            (int c, int layers, int heads, int d, int f, int v) = sizeName switch
            {
                "1b" => (2048, 12, 16, 128, 6848, 151552),
                "100m" => (768, 8, 12, 64, 2048, 32768),
                "tiny" => (64, 2, 4, 16, 128, 512),
                _ => throw new GlmException($"--size '{sizeName}' is not one of 1b, 100m, tiny"),
            };
            var config = new ChatGlmConfig
            {
                PaddedVocabSize = v, HiddenSize = c, NumLayers = layers, NumAttentionHeads = heads, KvChannels = d,
                MultiQueryAttention = true, MultiQueryGroupNum = 2, FfnHiddenSize = f, SeqLength = 8192, RopeRatio = 500,
                AddQkvBias = true, LayerNormEpsilon = 1.5625e-07, TorchDtype = "bfloat16",
            }.Validate();
            string folder = parse.GetValue(output)!;
            Directory.CreateDirectory(folder);
            string tokenizer = Path.Combine(folder, "tokenizer.json");
            BpeTrainer.Train(["GLM-4 random weights for benchmarking: the quick brown fox jumps over the lazy dog."],
                new BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 }).Save(tokenizer);
            string path = Path.Combine(folder, $"glm4-{sizeName}-{typeName}.gguf");
            WriteRandomModel(path, config, storage, tokenizer, parse.GetValue(seed));
            long parameters = GgufGlmNames.ChatGlmTensors(config).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
            Console.WriteLine(Inv($"wrote {Path.GetFullPath(path)}: {new FileInfo(path).Length / 1e6:0.0} MB, {parameters / 1e6:0.0}M parameters"));
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Matrices U(±√(3/fan_in)) stored as <paramref name="type"/>, norms 1 ± 0.1 and biases ± 0.1 in F32, streamed row by
    /// row (memory holds one row); the vocabulary of <paramref name="tokenizerJson"/> padded to V, so llama.cpp loads it.
    /// </summary>
    private static void WriteRandomModel(string path, ChatGlmConfig config, GgmlType type, string tokenizerJson, int seed)
    {
        var writer = new GgufWriter();
        writer.SetString(GgufChatGlmConfig.ArchitectureKey, GgufGlmNames.ChatGlmArchitecture);
        writer.SetString(GgufChatGlmConfig.NameKey, "glm4-random");
        GgufChatGlmConfig.Write(writer, config);
        writer.SetUInt32(GgufChatGlmConfig.FileTypeKey, type == GgmlType.F16 ? 1u : GgufQuantize.FileType(type));
        GgufTokenizerMetadata.Write(writer, tokenizerJson, config.PaddedVocabSize);
        var random = new Random(seed);
        foreach (var tensor in GgufGlmNames.ChatGlmTensors(config))
        {
            int tensorSeed = random.Next();
            if (tensor.Shape.Length == 1)
            {
                var values = new float[tensor.Shape[0]];
                var r = new Random(tensorSeed);
                float center = tensor.Gguf.EndsWith("norm.weight", StringComparison.Ordinal) ? 1 : 0;
                for (int i = 0; i < values.Length; i++) values[i] = center + 0.1f * (2 * r.NextSingle() - 1);
                writer.AddFloat32(tensor.Gguf, GgmlType.F32, tensor.Shape, values);
                continue;
            }
            int rows = (int)tensor.Shape[0], cols = (int)tensor.Shape[1];
            writer.AddDeferred(tensor.Gguf, type, tensor.Shape, stream =>
            {
                var r = new Random(tensorSeed);
                float scale = MathF.Sqrt(3f / cols);
                var row = new float[cols];
                var bytes = new byte[GgmlTypes.RowBytes(type, cols)];
                for (int i = 0; i < rows; i++)
                {
                    for (int j = 0; j < cols; j++) row[j] = scale * (2 * r.NextSingle() - 1);
                    RowCodec.Quantize(type, row, bytes);
                    stream.Write(bytes);
                }
            });
        }
        writer.Write(path);
    }

    /// <param name="Batch">Sequences decoded together in the batched measurement (1: none).</param>
    private sealed record Settings(string Model, int PromptTokens, int GenTokens, int Repeat, int Threads, int Batch)
    {
        /// <summary>The prompt each sequence of the batched measurement starts from.</summary>
        public int BatchPromptTokens => Math.Min(PromptTokens, 16);

        public int[] Ids(int count, int offset) => [.. Enumerable.Range(offset, count).Select(t => (t * 37 + 11) % 256)];
    }

    /// <summary>Median tokens/s of each phase over the runs.</summary>
    private sealed record EngineResult(double[] PromptRuns, double[] GenRuns)
    {
        public double Prompt => Median(PromptRuns);
        public double Gen => Median(GenRuns);
        private static double Median(double[] runs) => runs.Order().ElementAt(runs.Length / 2);
    }

    /// <param name="Resident">What our engine added to this process's resident memory, measured after its runs (with --batch, the batch's KV caches too).</param>
    /// <param name="BatchRuns">Batched decode tokens/s summed over the sequences, per run (empty when --batch is 1).</param>
    private sealed record Report(Settings Settings, long FileBytes, long BytesPerToken, double BandwidthGBs, EngineResult Ours, EngineResult? Llama,
        ResidentMemory Resident, double[] BatchRuns)
    {
        private double BatchGen => BatchRuns.Order().ElementAt(BatchRuns.Length / 2);

        private double DecodeGBs(EngineResult r) => BytesPerToken * r.Gen / 1e9;

        public JsonObject ToJson()
        {
            JsonObject Engine(EngineResult r) => new()
            {
                ["prompt_tokens_per_s"] = r.Prompt,
                ["gen_tokens_per_s"] = r.Gen,
                ["decode_gb_per_s"] = DecodeGBs(r),
                ["bandwidth_fraction"] = DecodeGBs(r) / BandwidthGBs,
                ["prompt_runs"] = new JsonArray([.. r.PromptRuns.Select(v => (JsonNode)v)]),
                ["gen_runs"] = new JsonArray([.. r.GenRuns.Select(v => (JsonNode)v)]),
            };
            var o = new JsonObject
            {
                ["model"] = Settings.Model, ["file_bytes"] = FileBytes, ["weight_bytes_per_token"] = BytesPerToken,
                ["threads"] = Settings.Threads, ["prompt_tokens"] = Settings.PromptTokens, ["gen_tokens"] = Settings.GenTokens,
                ["repeat"] = Settings.Repeat, ["memory_read_gb_per_s"] = BandwidthGBs, ["glmsharp"] = Engine(Ours),
            };
            if (BatchRuns.Length > 0)
            {
                o["glmsharp"]!["batch"] = new JsonObject
                {
                    ["sequences"] = Settings.Batch, ["prompt_tokens"] = Settings.BatchPromptTokens,
                    ["gen_tokens_per_s"] = BatchGen, ["gen_runs"] = new JsonArray([.. BatchRuns.Select(v => (JsonNode)v)]),
                };
            }
            o["glmsharp"]!["resident"] = new JsonObject
            {
                ["bytes"] = Resident.TotalBytes, ["file_backed_bytes"] = Resident.FileBytes,
                ["anonymous_bytes"] = Resident.AnonymousBytes, ["over_file_size"] = (double)Resident.TotalBytes / FileBytes,
            };
            if (Llama is not null)
            {
                o["llama_cpp"] = Engine(Llama);
                o["ratio"] = new JsonObject { ["prompt"] = Ours.Prompt / Llama.Prompt, ["gen"] = Ours.Gen / Llama.Gen };
            }
            return o;
        }

        public string ToTable()
        {
            var s = new StringBuilder();
            s.AppendLine(Inv($"{Settings.Model}: {FileBytes / 1e6:0.0} MB, {BytesPerToken / 1e6:0.0} MB of weights read per token"));
            s.AppendLine(Inv($"threads {Settings.Threads}, prompt {Settings.PromptTokens} tokens, generate {Settings.GenTokens}, median of {Settings.Repeat} runs"));
            s.AppendLine(Inv($"memory read bandwidth ({Settings.Threads} threads summing 512 MiB): {BandwidthGBs:0.0} GB/s"));
            s.AppendLine("engine       prompt tok/s   gen tok/s   decode GB/s   of bandwidth");
            void Row(string name, EngineResult r) =>
                s.AppendLine(Inv($"{name,-12} {r.Prompt,12:0.0} {r.Gen,11:0.00} {DecodeGBs(r),13:0.00} {DecodeGBs(r) / BandwidthGBs,13:P0}"));
            Row("glmsharp", Ours);
            if (Llama is not null)
            {
                Row("llama.cpp", Llama);
                s.AppendLine(Inv($"{"ours/llama",-12} {Ours.Prompt / Llama.Prompt,11:0.00}x {Ours.Gen / Llama.Gen,10:0.00}x"));
            }
            if (BatchRuns.Length > 0)
            {
                s.AppendLine(Inv($"glmsharp batched decode, {Settings.Batch} sequences: {BatchGen:0.00} tok/s summed ({BatchGen / Ours.Gen:0.00}x one sequence)"));
            }
            string split = Resident.FileBytes is { } mapped ? Inv($" ({mapped / 1e6:0.0} MB mapped from the file, {Resident.AnonymousBytes / 1e6:0.0} MB other)") : "";
            s.AppendLine(Inv($"glmsharp resident memory for the model: {Resident.TotalBytes / 1e6:0.0} MB, {(double)Resident.TotalBytes / FileBytes:0.00}x the file{split}"));
            return s.ToString().TrimEnd();
        }
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static Report Run(Settings settings, string? workerDll)
    {
        if (!File.Exists(settings.Model)) throw new GlmException($"GGUF file {settings.Model} does not exist");
        long fileBytes, perToken;
        using (var gguf = GgufFile.Open(settings.Model))
        {
            (fileBytes, perToken) = (gguf.FileLength, WeightBytesPerToken(gguf));
        }
        double bandwidth = MeasureReadBandwidth(settings.Threads);
        // An aggressive collection hands the probe's 512 MiB back to the OS, or it would count against the "before"
        // snapshot and leave later (the GC decommits it when it pleases), making the model's other memory negative.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var residentBefore = ResidentMemory.Now();
        int context = settings.PromptTokens + settings.GenTokens + 1;
        int[] prompt = settings.Ids(settings.PromptTokens, 0), gen = settings.Ids(settings.GenTokens, settings.PromptTokens);

        using var file = GlmModelFile.Open(settings.Model);
        using var pool = new WorkerPool(settings.Threads);
        IDecoderModel engine = file.CreateModel(pool, context, settings.PromptTokens);
        (double, double) Ours()
        {
            engine.Reset();
            var clock = Stopwatch.StartNew();
            engine.Prefill(prompt);
            double pp = clock.Elapsed.TotalSeconds;
            clock.Restart();
            foreach (int id in gen) engine.Decode(id);
            return (settings.PromptTokens / pp, settings.GenTokens / clock.Elapsed.TotalSeconds);
        }

        KvCache[] caches = [.. Enumerable.Range(0, settings.Batch).Select(_ => engine.CreateCache())];
        int[] batchPrompt = prompt[..settings.BatchPromptTokens];
        int[] step = new int[settings.Batch];
        float[] logits = new float[settings.Batch * engine.VocabSize];
        double Batched()
        {
            foreach (KvCache cache in caches)
            {
                cache.Clear();
                engine.Prefill(cache, batchPrompt);
            }
            var clock = Stopwatch.StartNew();
            foreach (int id in gen)
            {
                Array.Fill(step, id);
                engine.DecodeBatch(step, caches, logits);
            }
            return settings.Batch * settings.GenTokens / clock.Elapsed.TotalSeconds;
        }

        using var llama = workerDll is null ? null : new LlamaCppProcess(workerDll, settings.Model, settings.Threads, context, settings.PromptTokens);
        (double, double) Llama()
        {
            double pp = llama!.Run("prompt", prompt), tg = llama.Run("decode", gen);
            return (settings.PromptTokens / pp, settings.GenTokens / tg);
        }

        // One warm-up each (pages the weights in, settles thread pools), then the engines take turns.
        Ours();
        if (settings.Batch > 1) Batched();
        if (llama is not null) Llama();
        var ours = new List<(double, double)>();
        var batched = new List<double>();
        var theirs = new List<(double, double)>();
        for (int r = 0; r < settings.Repeat; r++)
        {
            if (llama is not null && r % 2 == 1) theirs.Add(Llama());
            ours.Add(Ours());
            if (settings.Batch > 1) batched.Add(Batched());
            if (llama is not null && r % 2 == 0) theirs.Add(Llama());
        }
        var resident = ResidentMemory.Now().Minus(residentBefore);
        EngineResult Result(List<(double Pp, double Tg)> runs) => new([.. runs.Select(x => x.Pp)], [.. runs.Select(x => x.Tg)]);
        return new Report(settings, fileBytes, perToken, bandwidth, Result(ours), llama is null ? null : Result(theirs), resident,
            [.. batched]);
    }

    /// <summary>
    /// Bytes of weights one decode step reads: every tensor once, except the token embedding, of which one row is read
    /// (all of it when the output layer is tied to it).
    /// </summary>
    private static long WeightBytesPerToken(GgufFile file)
    {
        long total = 0;
        bool tied = !file.Contains("output.weight");
        foreach (var tensor in file.Tensors)
        {
            bool embedding = tensor.Name == "token_embd.weight" && !tied;
            total += embedding ? tensor.ByteLength / tensor.Dims[^1] : tensor.ByteLength;
        }
        return total;
    }

    /// <summary>
    /// Read bandwidth in GB/s: the best of five sums of a 512 MiB array, split over <paramref name="threads"/> threads.
    /// </summary>
    private static double MeasureReadBandwidth(int threads)
    {
        var data = new float[128 << 20];
        Array.Fill(data, 1f); // touch every page before timing
        int chunk = data.Length / threads;
        double best = double.MaxValue;
        for (int run = 0; run < 5; run++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
                t => TensorPrimitives.Sum(data.AsSpan(t * chunk, t == threads - 1 ? data.Length - t * chunk : chunk)));
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return data.Length * 4.0 / best / 1e9;
    }

    private static string FindWorker(string? given)
    {
        if (given is not null)
            return File.Exists(given) ? Path.GetFullPath(given) : throw new GlmException($"--llama-worker {given} does not exist");
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, WorkerDll) };
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            foreach (string config in new[] { "Release", "Debug" })
                candidates.Add(Path.Combine(dir.FullName, "bench", "Glm.Bench", "bin", config, "net10.0", "linux-x64", WorkerDll));
        }
        return candidates.FirstOrDefault(File.Exists) ?? throw new GlmException(
            $"the llama.cpp side needs {WorkerDll}: build it (dotnet build bench/Glm.Bench -c Release) and run from the " +
            "repository, or pass --llama-worker PATH");
    }

    /// <summary>The bench/Glm.Bench worker: llama.cpp on the same file, one command per line, seconds back.</summary>
    private sealed class LlamaCppProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _errors = new();

        public LlamaCppProcess(string workerDll, string model, int threads, int context, int batch)
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (string arg in new[] { workerDll, Path.GetFullPath(model), Inv($"{threads}"), Inv($"{context}"), Inv($"{batch}") })
                info.ArgumentList.Add(arg);
            _process = Process.Start(info) ?? throw new GlmException("could not start the llama.cpp worker");
            _process.ErrorDataReceived += (_, e) => { lock (_errors) _errors.AppendLine(e.Data); };
            _process.BeginErrorReadLine();
            Expect("ready");
        }

        /// <summary>Sends one command with its token ids; returns the seconds llama.cpp took.</summary>
        public double Run(string command, int[] ids)
        {
            _process.StandardInput.WriteLine($"{command} {string.Join(',', ids)}");
            _process.StandardInput.Flush();
            return double.Parse(Expect(null), CultureInfo.InvariantCulture);
        }

        private string Expect(string? expected)
        {
            string? line = _process.StandardOutput.ReadLine();
            if (line is null || (expected is not null && line != expected))
            {
                _process.WaitForExit(5000);
                string errors;
                lock (_errors) errors = _errors.ToString().Trim();
                throw new GlmException($"the llama.cpp worker failed: {(errors.Length > 0 ? errors.Split('\n')[0] : line ?? "no output")}");
            }
            return line;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
        }
    }
}
