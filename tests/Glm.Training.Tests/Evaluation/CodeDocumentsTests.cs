using Glm.Core;
using Glm.Training.Evaluation;
using Glm.Training.Tests.Data;

namespace Glm.Training.Tests.Evaluation;

public sealed class CodeDocumentsTests
{
    [Fact]
    public void Reads_jsonl_source_files_and_plain_source_files()
    {
        using var dir = new TempDir();
        string jsonl = dir.Write("code.jsonl",
            "{\"repo\": \"r\", \"path\": \"src/a.py\", \"lang\": \"python\", \"license\": \"mit\", \"text\": \"import os\\nprint(1)\\n\"}\n\n" +
            "{\"text\": \"int x;\\n\"}\n{\"text\": \"   \"}\n");
        string plain = dir.Write("b.cs", "class B\n{\n}\n");

        var documents = CodeDocuments.Read([jsonl, plain]);

        Assert.Equal([new("src/a.py", "import os\nprint(1)\n"), new($"{jsonl}:3", "int x;\n"), new CodeDocument(plain, "class B\n{\n}\n")], documents);
    }

    [Fact]
    public void Bad_input_is_named_by_file_and_line()
    {
        using var dir = new TempDir();
        string jsonl = dir.Write("bad.jsonl", "{\"text\": \"ok\"}\n{\"path\": \"a.py\"}\n");

        var noText = Assert.Throws<GlmException>(() => CodeDocuments.Read([jsonl]));
        Assert.Contains($"{jsonl} line 2", noText.Message);
        string missing = Path.Combine(dir.Path, "missing.jsonl");
        Assert.Contains(missing, Assert.Throws<GlmException>(() => CodeDocuments.Read([missing])).Message);
    }
}
