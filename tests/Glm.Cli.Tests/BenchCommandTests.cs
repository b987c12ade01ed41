using System.Text.Json;

namespace Glm.Cli.Tests;

/// <summary><c>glm bench make-model</c> and <c>glm bench</c> (the engine alone) on a tiny random model.</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("glm-cli-bench-").FullName;

    [Fact]
    public void Make_model_writes_a_gguf_that_bench_measures()
    {
        var made = GlmProcess.Run("bench", "make-model", "--output", _dir, "--size", "tiny", "--type", "q4_0");
        Assert.True(made.ExitCode == 0, made.Stderr);
        string model = Path.Combine(_dir, "glm4-tiny-q4_0.gguf");
        Assert.Contains($"wrote {model}: ", made.Stdout);
        Assert.True(File.Exists(Path.Combine(_dir, "tokenizer.json")));

        var bench = GlmProcess.Run("bench", "--model", model, "--prompt-tokens", "16", "--gen-tokens", "8", "--repeat", "2", "--threads", "1", "--batch", "3", "--json");
        Assert.True(bench.ExitCode == 0, bench.Stderr);
        using var json = JsonDocument.Parse(bench.Stdout);
        var root = json.RootElement;
        long fileBytes = root.GetProperty("file_bytes").GetInt64(), perToken = root.GetProperty("weight_bytes_per_token").GetInt64();
        Assert.Equal(new FileInfo(model).Length, fileBytes);
        // Every weight is read per token except the embedding table, of which one row is.
        Assert.InRange(perToken, fileBytes / 4, fileBytes - 1);
        Assert.True(root.GetProperty("memory_read_gb_per_s").GetDouble() > 0.1);
        var ours = root.GetProperty("glmsharp");
        Assert.True(ours.GetProperty("prompt_tokens_per_s").GetDouble() > 0);
        Assert.True(ours.GetProperty("gen_tokens_per_s").GetDouble() > 0);
        Assert.Equal(2, ours.GetProperty("gen_runs").GetArrayLength());
        // --batch 3: three sequences decoded together, their summed tokens/s per run.
        var batch = ours.GetProperty("batch");
        Assert.Equal(3, batch.GetProperty("sequences").GetInt32());
        Assert.True(batch.GetProperty("gen_tokens_per_s").GetDouble() > 0);
        Assert.Equal(2, batch.GetProperty("gen_runs").GetArrayLength());
        Assert.False(root.TryGetProperty("llama_cpp", out _));

        // The weights are read in place from the mapped file: the pages they occupy are file-backed, not copies.
        var resident = ours.GetProperty("resident");
        if (OperatingSystem.IsLinux())
            Assert.True(resident.GetProperty("file_backed_bytes").GetInt64() >= perToken * 9 / 10,
                $"{resident.GetProperty("file_backed_bytes").GetInt64()} file-backed bytes for {perToken} bytes of weights");
        Assert.True(resident.GetProperty("over_file_size").GetDouble() > 0);
    }

    [Fact]
    public void Bench_names_what_is_wrong_in_one_line()
    {
        var made = GlmProcess.Run("bench", "make-model", "--output", _dir, "--size", "tiny", "--type", "f16");
        Assert.True(made.ExitCode == 0, made.Stderr);
        string model = Path.Combine(_dir, "glm4-tiny-f16.gguf");
        string missingWorker = Path.Combine(_dir, "no-worker.dll");
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["bench", "--model", model, "--vs", "llama.cpp", "--llama-worker", missingWorker], missingWorker),
            (["bench", "--model", model, "--vs", "vllm"], "vllm"),
            (["bench", "--model", Path.Combine(_dir, "none.gguf")], "none.gguf"),
            (["bench", "--model", model, "--batch", "0"], "--batch"),
            (["bench", "make-model", "--output", _dir, "--type", "q5_1"], "q5_1"),
        })
        {
            var result = GlmProcess.Run(args);
            Assert.Equal(1, result.ExitCode);
            string stderr = result.Stderr.Trim();
            Assert.StartsWith("error: ", stderr);
            Assert.Contains(expected, stderr);
            Assert.Single(stderr.Split('\n'));
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
