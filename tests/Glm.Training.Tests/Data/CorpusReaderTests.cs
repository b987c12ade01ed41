using Glm.Core;
using Glm.Training.Data;

namespace Glm.Training.Tests.Data;

public sealed class CorpusReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<string> Documents(IEnumerable<CorpusSegment> segments)
    {
        var docs = new List<string>();
        string pending = "";
        foreach (var s in segments)
        {
            pending += s.Text;
            if (!s.EndsDocument) continue;
            docs.Add(pending);
            pending = "";
        }
        Assert.Equal("", pending);
        return docs;
    }

    [Theory]
    [InlineData("a.txt")]
    [InlineData("a.txt.gz")]
    public void Text_files_split_documents_at_separator_lines(string name)
    {
        var file = _dir.Write(name, "First line.\r\nSecond line.\n<|endoftext|>\n\n  \n<|endoftext|>\nNext doc <|endoftext|> inline\n\n<|endoftext|>");
        var docs = Documents(CorpusReader.ReadSegments([file]));
        Assert.Equal(["First line.\nSecond line.", "Next doc <|endoftext|> inline\n"], docs);
    }

    [Fact]
    public void A_text_file_without_separators_is_one_document_and_files_never_merge()
    {
        var a = _dir.Write("a.txt", "one\ntwo\n");
        var b = _dir.Write("b.txt", "three");
        Assert.Equal(["one\ntwo", "three"], Documents(CorpusReader.ReadSegments([a, b])));
    }

    [Fact]
    public void Several_files_are_interleaved_document_by_document_in_proportion_to_their_size()
    {
        // 1 MB of "a" documents and 0.5 MB of "b" documents, 10 kB each: far more than the readers' buffers.
        string Docs(char letter, int count) => string.Join("\n<|endoftext|>\n",
            Enumerable.Range(0, count).Select(i => $"{letter}{i} " + new string(letter, 10_000)));
        var a = _dir.Write("a.txt", Docs('a', 100));
        var b = _dir.Write("b.txt", Docs('b', 50));

        var docs = Documents(CorpusReader.ReadSegments([a, b], segmentChars: 4096));

        Assert.Equal(150, docs.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"a{i}"), docs.Where(d => d[0] == 'a').Select(d => d.Split(' ')[0]));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"b{i}"), docs.Where(d => d[0] == 'b').Select(d => d.Split(' ')[0]));
        int bInFirstThird = docs.Take(50).Count(d => d[0] == 'b');
        Assert.InRange(bInFirstThird, 12, 22); // about 50/3 of the first 50 documents come from b
    }

    [Theory]
    [InlineData("d.jsonl")]
    [InlineData("d.jsonl.gz")]
    public void Jsonl_reads_text_or_content(string name)
    {
        var file = _dir.Write(name, """
            {"text": "alpha\nbeta", "content": "ignored"}

            {"content": "gamma", "id": 3}
            {"text": "   "}
            {"text": "delta\r\n"}
            """);
        Assert.Equal(["alpha\nbeta", "gamma", "delta\n"], Documents(CorpusReader.ReadSegments([file])));
    }

    [Theory]
    [InlineData("{\"text\": \"ok\"}\n{\"text\": \"ok\"}\n{\"text\": broken}\n", "line 3", "not valid JSON")]
    [InlineData("{\"text\": \"ok\"}\n[1, 2]\n", "line 2", "JSON object")]
    [InlineData("{\"title\": \"no text\"}\n", "line 1", "\"text\" or \"content\"")]
    [InlineData("{\"text\": 5}\n", "line 1", "not a string")]
    public void Bad_jsonl_lines_name_file_and_line(string content, string line, string why)
    {
        var file = _dir.Write("bad.jsonl", content);
        var e = Assert.Throws<GlmException>(() => CorpusReader.ReadSegments([file]).ToList());
        Assert.Contains(file, e.Message);
        Assert.Contains(line, e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Missing_or_unsupported_files_fail_before_reading()
    {
        var good = _dir.Write("good.txt", "x");
        var missing = Path.Combine(_dir.Path, "missing.txt");
        var e = Assert.Throws<GlmException>(() => CorpusReader.ReadSegments([good, missing]));
        Assert.Contains(missing, e.Message);
        var csv = _dir.Write("table.csv", "a,b");
        Assert.Contains("unsupported", Assert.Throws<GlmException>(() => CorpusReader.ReadSegments([csv])).Message);
        Assert.Contains(missing, Assert.Throws<GlmException>(() => CorpusReader.ExpandPaths([missing])).Message);
    }

    [Fact]
    public void Corrupt_gzip_is_a_glm_exception_naming_the_file()
    {
        var file = Path.Combine(_dir.Path, "broken.txt.gz");
        File.WriteAllBytes(file, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0x00, 0x12]);
        var e = Assert.Throws<GlmException>(() => CorpusReader.ReadSegments([file]).ToList());
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void Long_documents_are_cut_at_line_boundaries()
    {
        var lines = Enumerable.Range(0, 2000).Select(i => $"line {i} " + new string('x', i % 70)).ToList();
        var file = _dir.Write("long.txt", string.Join("\n", lines) + "\n<|endoftext|>\nshort");
        var segments = CorpusReader.ReadSegments([file], segmentChars: 1000).ToList();

        Assert.True(segments.Count > 50);
        Assert.All(segments, s => Assert.InRange(s.Text.Length, 1, 1000));
        Assert.All(segments[..^2], s => Assert.False(s.EndsDocument));
        Assert.All(segments[..^2], s => Assert.EndsWith("\n", s.Text));
        Assert.All(segments[..^2], s => Assert.StartsWith("line ", s.Text));
        // Segments are filled: the next line would not have fit.
        for (int i = 0; i < segments.Count - 2; i++)
            Assert.True(segments[i].Text.Length + segments[i + 1].Text.Split('\n')[0].Length + 1 > 1000);
        Assert.Equal([string.Join("\n", lines), "short"], Documents(segments));
    }

    [Fact]
    public void An_overlong_line_is_cut_but_never_inside_a_surrogate_pair()
    {
        string line = string.Concat(Enumerable.Repeat("ab😀", 400)); // 1600 chars
        var file = _dir.Write("one.jsonl", "{\"text\": \"" + line + "\"}\n");
        var segments = CorpusReader.ReadSegments([file], segmentChars: 101).ToList();
        Assert.All(segments, s => Assert.InRange(s.Text.Length, 1, 101));
        Assert.All(segments, s => Assert.False(char.IsHighSurrogate(s.Text[^1])));
        Assert.Equal([line], Documents(segments));
    }

    [Fact]
    public void Directories_expand_to_corpus_files_in_ordinal_order()
    {
        var b = _dir.Write("sub/b.jsonl", "{\"text\":\"b\"}");
        var a = _dir.Write("a.txt.gz", "a");
        var c = _dir.Write("C.TXT", "c");
        _dir.Write("notes.md", "skip me");
        var files = CorpusReader.ExpandPaths([_dir.Path]);
        Assert.Equal(new[] { a, b, c }.Order(StringComparer.Ordinal), files);
        Assert.Throws<GlmException>(() => CorpusReader.ExpandPaths([Path.Combine(_dir.Path, "sub", "empty")]));
        Directory.CreateDirectory(Path.Combine(_dir.Path, "none"));
        Assert.Contains("no corpus files", Assert.Throws<GlmException>(() => CorpusReader.ExpandPaths([Path.Combine(_dir.Path, "none")])).Message);
    }
}
