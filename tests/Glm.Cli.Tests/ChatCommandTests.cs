using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Glm.Cli.Tests;

/// <summary><c>glm chat</c> driven through stdin as a script would, on a tiny random chatglm GGUF model.</summary>
public sealed partial class ChatCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("glm-cli-chat-").FullName;

    [GeneratedRegex(@"\[(\d+) prompt tokens, (\d+) reply tokens, [0-9.]+ tokens/s, finish (stop|length)\]")]
    private static partial Regex StatsLine();

    [Fact]
    public async Task Two_scripted_turns_get_two_streamed_answers_and_the_history_grows()
    {
        SyntheticGguf.WriteTiny(_dir, contextLength: 256);
        string model = Path.Combine(_dir, SyntheticGguf.TinyFile);
        var (code, stdout, stderr) = await Script(["Hello there!", "How are you?"],
            "chat", "--model", model, "--temperature", "0", "--max-tokens", "12", "--threads", "1", "--system", "Be brief.");

        Assert.True(code == 0, stderr);
        var stats = StatsLine().Matches(stderr);
        Assert.True(stats.Count == 2, $"expected two answers, stderr:\n{stderr}");
        int firstPrompt = int.Parse(stats[0].Groups[1].Value), firstReply = int.Parse(stats[0].Groups[2].Value);
        int secondPrompt = int.Parse(stats[1].Groups[1].Value);
        Assert.InRange(firstReply, 1, 12);
        // The second prompt holds the first exchange: its user turn, the reply and the new turn.
        Assert.True(secondPrompt > firstPrompt + firstReply, $"second prompt {secondPrompt} tokens; first {firstPrompt} + reply {firstReply}");
        Assert.False(string.IsNullOrWhiteSpace(stdout), "no answer text on stdout");
    }

    [Fact]
    public async Task Reset_forgets_the_conversation_and_exit_ends_it()
    {
        SyntheticGguf.WriteTiny(_dir, contextLength: 256);
        string model = Path.Combine(_dir, SyntheticGguf.TinyFile);
        var (code, stdout, stderr) = await Script(["Hello there!", "/reset", "Hello there!", "/exit", "never answered"],
            "chat", "--model", model, "--temperature", "0", "--max-tokens", "5", "--threads", "1");

        Assert.True(code == 0, stderr);
        var stats = StatsLine().Matches(stderr);
        Assert.Equal(2, stats.Count);
        Assert.Equal(stats[0].Groups[1].Value, stats[1].Groups[1].Value); // the same prompt: the first turn was forgotten
        Assert.Equal(stats[0].Groups[2].Value, stats[1].Groups[2].Value);
        // Greedy, same conversation after /reset: the same answer twice, each ended by a newline.
        Assert.True(stdout.Length % 2 == 0 && stdout[..(stdout.Length / 2)] == stdout[(stdout.Length / 2)..], $"answers after /reset differ:\n{stdout}");
    }

    [Fact]
    public void A_missing_model_is_one_line_on_stderr()
    {
        string missing = Path.Combine(_dir, "none.gguf");
        var result = GlmProcess.Run("chat", "--model", missing);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr.Trim());
        Assert.Contains(missing, result.Stderr);
    }

    /// <summary>Runs glm with <paramref name="lines"/> typed into stdin, then end of input; waits up to two minutes.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> Script(string[] lines, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "glm.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start glm");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        foreach (string line in lines) await process.StandardInput.WriteLineAsync(line);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"glm {string.Join(' ', args)} did not exit at the end of its input");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
