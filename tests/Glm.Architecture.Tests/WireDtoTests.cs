using System.Reflection;
using System.Runtime.CompilerServices;

namespace Glm.Architecture.Tests;

/// <summary>
/// Rule 5 of docs/architecture.md: the OpenAI and Zhipu wire shapes live only under Glm.Server's Api namespaces and
/// become ChatMessage/ChatOptions at the endpoint, so nothing outside Api (models, serving, gate, metrics, the
/// public entry point) has a wire type in a signature.
/// </summary>
public class WireDtoTests
{
    private const string Api = "Glm.Server.Api";

    [Fact]
    public void Wire_types_stay_inside_the_server_Api_namespaces()
    {
        var server = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, "Glm.Server.dll"));
        Assert.Contains(server.GetTypes(), t => t.Namespace == Api + ".Zhipu");
        Assert.Contains(server.GetTypes(), t => t.Namespace == Api + ".OpenAi");

        var leaks = server.GetTypes()
            .Where(t => t.Namespace is { } ns && !ns.StartsWith(Api, StringComparison.Ordinal) && !IsGenerated(t))
            .SelectMany(t => SignatureTypes(t).Where(IsWireType).Select(w => $"{t.FullName} uses {w.FullName}"))
            .Distinct()
            .ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));

        foreach (var name in Directory.GetFiles(AppContext.BaseDirectory, "Glm.*.dll").Select(Path.GetFileNameWithoutExtension))
        {
            if (name is "Glm.Server" || name!.EndsWith(".Tests", StringComparison.Ordinal))
                continue;
            var assembly = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, name + ".dll"));
            Assert.DoesNotContain(assembly.GetTypes(), t => t.Namespace?.Contains(".Api.", StringComparison.Ordinal) == true);
        }
    }

    private static bool IsGenerated(Type t) =>
        t.IsDefined(typeof(CompilerGeneratedAttribute)) || t.FullName!.Contains('<');

    private static bool IsWireType(Type t) =>
        t.Namespace is { } ns && (ns.StartsWith(Api + ".Zhipu", StringComparison.Ordinal) || ns.StartsWith(Api + ".OpenAi", StringComparison.Ordinal));

    private static IEnumerable<Type> SignatureTypes(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var direct = type.GetFields(all).Select(f => f.FieldType)
            .Concat(type.GetProperties(all).Select(p => p.PropertyType))
            .Concat(type.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)))
            .Concat(type.GetConstructors(all).SelectMany(c => c.GetParameters().Select(p => p.ParameterType)));
        return direct.SelectMany(Expand);
    }

    private static IEnumerable<Type> Expand(Type t)
    {
        yield return t;
        if (t.HasElementType)
            foreach (var e in Expand(t.GetElementType()!))
                yield return e;
        if (t.IsGenericType)
            foreach (var e in t.GetGenericArguments().SelectMany(Expand))
                yield return e;
    }
}
