namespace Glm.Training.Evaluation;

/// <summary>
/// Picks target lines for code completion, deterministically for a seed. A line can be a target when it is not the
/// first line of its document and has at least <see cref="MinTargetChars"/> characters once trimmed. The documents are
/// visited in a seeded random order, one target each per round (each document's lines in a seeded random order), so
/// the items spread over all documents before any document gives a second one.
/// </summary>
public static class CodeItems
{
    public const int MinTargetChars = 8;

    public static IReadOnlyList<CodeItem> Make(IReadOnlyList<CodeDocument> documents, int count, int seed)
    {
        var rng = new Random(seed);
        var queues = new List<(CodeDocument Document, List<int> Lines, int[] Starts)>();
        foreach (var document in documents)
        {
            int[] starts = LineStarts(document.Text);
            var lines = Enumerable.Range(1, starts.Length - 1).Where(i => IsTarget(document.Text, starts, i)).ToList();
            if (lines.Count == 0) continue;
            Shuffle(lines, rng);
            queues.Add((document, lines, starts));
        }
        Shuffle(queues, rng);
        var items = new List<CodeItem>();
        for (int round = 0; items.Count < count && queues.Any(q => q.Lines.Count > round); round++)
            foreach (var (document, lines, starts) in queues)
            {
                if (items.Count == count) break;
                if (round < lines.Count) items.Add(Item(document, starts, lines[round]));
            }
        return items;
    }

    private static CodeItem Item(CodeDocument document, int[] starts, int line)
    {
        string text = document.Text;
        int start = starts[line], end = LineEnd(text, starts, line);
        return new CodeItem(document.Source, line + 1, text[..start], text[start..end], text[end..]);
    }

    private static bool IsTarget(string text, int[] starts, int line) =>
        text.AsSpan(starts[line], LineEnd(text, starts, line) - starts[line]).Trim().Length >= MinTargetChars;

    // Where each line starts; the '\n' ending line i is at starts[i + 1] - 1.
    private static int[] LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (int i = text.IndexOf('\n'); i >= 0; i = text.IndexOf('\n', i + 1)) starts.Add(i + 1);
        return [.. starts];
    }

    private static int LineEnd(string text, int[] starts, int line) => line + 1 < starts.Length ? starts[line + 1] - 1 : text.Length;

    private static void Shuffle<T>(List<T> list, Random rng)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
