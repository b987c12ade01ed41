using System.Text;
using Glm.Training.Data;

namespace Glm.Training.Training;

/// <summary>Whole documents of corpus files (segments joined back), for tokenizer training and cloze items.</summary>
public static class CorpusText
{
    public static IEnumerable<string> Documents(IReadOnlyList<string> files)
    {
        var text = new StringBuilder();
        foreach (var segment in CorpusReader.ReadSegments(files))
        {
            text.Append(segment.Text);
            if (!segment.EndsDocument) continue;
            yield return text.ToString();
            text.Clear();
        }
        if (text.Length > 0) yield return text.ToString();
    }
}
