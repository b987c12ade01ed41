using System.CommandLine;
using Glm.Checkpoints;
using Glm.Core;
using Glm.Core.Chat;
using Glm.Training.Data;

namespace Glm.Cli.Commands;

/// <summary><c>glm data chat</c>: convert dialogue datasets to the chat JSONL that <c>glm train --objective chat</c> reads.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = $"Input format: {string.Join(", ", ChatFormats.Names)}", Required = true };
        format.AcceptOnlyFromAmong(ChatFormats.Names);
        var input = new Option<FileInfo[]>("--input") { Description = "Input files (.json, .jsonl, .yml, optionally .gz)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo>("--out") { Description = "Chat JSONL to write: one {\"messages\": [{\"role\", \"content\"}, ...]} per line", Required = true };
        var maxChars = new Option<int>("--max-chars") { Description = "Drop conversations longer than this many characters (0 keeps all); small models learn best from short ones", DefaultValueFactory = _ => 0 };
        var maxTurns = new Option<int>("--max-turns") { Description = "Keep at most this many turns of each conversation, ending on an assistant reply (0 keeps all)", DefaultValueFactory = _ => 0 };
        var limit = new Option<int>("--limit") { Description = "Write at most this many conversations, taken evenly across the inputs (0 writes all)", DefaultValueFactory = _ => 0 };
        var system = new Option<string?>("--system") { Description = "A system message to put first in every conversation" };

        var chat = new Command("chat", "Convert dialogue datasets to chat JSONL for fine-tuning")
        {
            format, input, output, maxChars, maxTurns, limit, system,
        };
        chat.SetAction(parse => CliRunner.Run(() =>
        {
            var files = parse.GetValue(input)!;
            int limitChars = parse.GetValue(maxChars), limitTurns = parse.GetValue(maxTurns);
            string? systemText = parse.GetValue(system);
            int kept = 0, dropped = 0;
            var lines = new List<string>();
            foreach (var file in files)
            {
                foreach (var conversation in ChatFormats.Read(parse.GetValue(format)!, file.FullName))
                {
                    var turns = Trim(conversation, limitTurns);
                    if (systemText is not null) turns = [new ChatTurn(ChatRole.System, systemText), .. turns];
                    bool hasReply = turns.Any(t => t.Role == ChatRole.Assistant && t.Content.Length > 0);
                    if (!hasReply || (limitChars > 0 && turns.Sum(t => t.Content.Length) > limitChars))
                    {
                        dropped++;
                        continue;
                    }
                    lines.Add(ChatFormats.ToJsonLine(turns));
                    kept++;
                }
            }
            int most = parse.GetValue(limit);
            if (most > 0 && lines.Count > most)
            {
                // every k-th conversation, so the subset spans all inputs rather than the first file only
                double step = (double)lines.Count / most;
                lines = Enumerable.Range(0, most).Select(i => lines[(int)(i * step)]).ToList();
                dropped += kept - most;
                kept = most;
            }
            if (kept == 0) throw new GlmException($"no conversation left to write (dropped {dropped}); raise --max-chars or check --format");
            AtomicFile.WriteAllText(parse.GetValue(output)!.FullName, string.Join('\n', lines) + "\n");
            Console.WriteLine($"wrote {kept} conversations to {parse.GetValue(output)!.FullName} (dropped {dropped})");
            return 0;
        }));
        return new Command("data", "Prepare training data") { chat };
    }

    /// <summary>The first <paramref name="maxTurns"/> turns, cut back to the last assistant reply among them.</summary>
    private static List<ChatTurn> Trim(IReadOnlyList<ChatTurn> turns, int maxTurns)
    {
        var kept = maxTurns > 0 ? turns.Take(maxTurns).ToList() : turns.ToList();
        while (kept.Count > 0 && kept[^1].Role != ChatRole.Assistant) kept.RemoveAt(kept.Count - 1);
        return kept;
    }
}
