using System.Reflection;

namespace Glm.Architecture.Tests;

/// <summary>
/// Holds the dependency rules of docs/architecture.md by reading the references compiled into each assembly.
/// Every Glm.* assembly must appear in <see cref="Allowed"/>, so a new project has to state its rules here.
/// </summary>
public class DependencyRulesTests
{
    // Which solution assemblies each assembly may reference directly.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Glm.Core"] = [],
        ["Glm.Kernels"] = [],
        ["Glm.Tokenizers"] = ["Glm.Core"],
        ["Glm.Checkpoints"] = ["Glm.Core", "Glm.Kernels"],
        ["Glm.Training"] = ["Glm.Core", "Glm.Tokenizers", "Glm.Checkpoints"],
        ["Glm.Inference"] = ["Glm.Core", "Glm.Kernels", "Glm.Checkpoints", "Glm.Tokenizers"],
        ["Glm.Agents"] = ["Glm.Core"],
        ["Glm.Platform"] = ["Glm.Core"],
        ["Glm.Server"] = ["Glm.Core", "Glm.Inference", "Glm.Agents", "Glm.Platform", "Glm.Tokenizers", "Glm.Checkpoints", "Glm.Kernels"],
        ["Glm.Cli"] = ["Glm.Core", "Glm.Kernels", "Glm.Tokenizers", "Glm.Checkpoints", "Glm.Training", "Glm.Inference", "Glm.Agents", "Glm.Platform", "Glm.Server"],
    };

    // Only training (and the CLI that launches it) may load libtorch.
    private static readonly string[] MayReferenceTorch = ["Glm.Training", "Glm.Cli"];

    public static IEnumerable<object[]> SolutionAssemblies() =>
        Directory.GetFiles(AppContext.BaseDirectory, "Glm.*.dll")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(n => !n!.EndsWith(".Tests", StringComparison.Ordinal))
            .Append("glm")
            .Select(n => new object[] { n! });

    [Fact]
    public void The_solution_assemblies_are_found()
    {
        var names = SolutionAssemblies().Select(a => (string)a[0]).ToList();
        Assert.Contains("Glm.Core", names);
        Assert.Contains("Glm.Training", names);
        Assert.Contains("Glm.Platform", names);
        Assert.Contains("Glm.Server", names);
        Assert.Contains("glm", names);
    }

    [Theory]
    [MemberData(nameof(SolutionAssemblies))]
    public void References_follow_the_dependency_rules(string assemblyName)
    {
        var assembly = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll"));
        string project = assemblyName == "glm" ? "Glm.Cli" : assemblyName;
        Assert.True(Allowed.ContainsKey(project), $"{project} has no dependency rule; add it to {nameof(Allowed)}");

        var references = assembly.GetReferencedAssemblies().Select(r => r.Name!).ToList();
        var solutionRefs = references.Where(r => r.StartsWith("Glm.", StringComparison.Ordinal) || r == "glm").ToList();
        var forbidden = solutionRefs.Except(Allowed[project]).ToList();
        Assert.True(forbidden.Count == 0, $"{project} must not reference {string.Join(", ", forbidden)}");

        if (!MayReferenceTorch.Contains(project))
            Assert.DoesNotContain(references, r => r.StartsWith("TorchSharp", StringComparison.Ordinal));
        if (project is not "Glm.Server" and not "Glm.Cli")
            Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }
}
