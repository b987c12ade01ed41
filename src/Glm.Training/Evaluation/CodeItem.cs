namespace Glm.Training.Evaluation;

/// <summary>
/// One code-completion item: a target line of a document and the text on both sides of it, so that
/// <c>Prefix + Target + Suffix</c> is the whole document. <see cref="Prefix"/> ends right before the target line (after
/// the '\n' of the line above); <see cref="Target"/> is the whole line, indentation included, without its '\n';
/// <see cref="Suffix"/> starts with that '\n' ("" when the target is the last line). Generated lines and the target are
/// compared with leading and trailing whitespace trimmed, so indentation never decides an item.
/// </summary>
/// <param name="LineNumber">1-based line of the target in its document.</param>
public sealed record CodeItem(string Source, int LineNumber, string Prefix, string Target, string Suffix)
{
    /// <summary>The target line, trimmed: what a generated line must equal.</summary>
    public string Answer => Target.Trim();

    /// <summary>The last non-blank line before the target, trimmed (the baseline's guess); "" when there is none.</summary>
    public string PreviousLine =>
        Prefix.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? "";

    /// <summary>True when the first line of <paramref name="generated"/>, trimmed, equals <see cref="Answer"/>.</summary>
    public bool IsAnsweredBy(string generated)
    {
        int newline = generated.IndexOf('\n');
        return (newline < 0 ? generated : generated[..newline]).Trim() == Answer;
    }
}
