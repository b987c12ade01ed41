using System.Text;

namespace Glm.Cli.Tests;

/// <summary>A small deterministic English-like corpus (documents separated by &lt;|endoftext|&gt; lines).</summary>
public static class TestCorpus
{
    private static readonly string[] Subjects = ["the cat", "a dog", "the old king", "my sister", "the farmer", "a bird"];
    private static readonly string[] Verbs = ["sat on", "looked at", "walked to", "sang about", "dreamed of", "ran past"];
    private static readonly string[] Objects = ["the mat", "the river", "a golden crown", "the green hill", "the little house", "the moon"];

    public static string Write(string folder, int documents = 60, int seed = 7)
    {
        var rng = new Random(seed);
        var text = new StringBuilder();
        for (int d = 0; d < documents; d++)
        {
            if (d > 0) text.Append("<|endoftext|>\n");
            int sentences = rng.Next(6, 14);
            for (int s = 0; s < sentences; s++)
            {
                string sentence = $"{Pick(Subjects, rng)} {Pick(Verbs, rng)} {Pick(Objects, rng)}.";
                text.Append(char.ToUpperInvariant(sentence[0])).Append(sentence[1..]).Append(s % 4 == 3 ? "\n" : " ");
            }
            text.Append('\n');
        }
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "corpus.txt");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static string Pick(string[] items, Random rng) => items[rng.Next(items.Length)];
}
