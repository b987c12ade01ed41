using System.Collections.Concurrent;

namespace Glm.Server.Models;

/// <summary>
/// Loads each registry entry through the factory on first use and keeps it for the server's lifetime; owns and
/// disposes the backends. Thread safe: concurrent first requests for one name load it once. A load that fails is not
/// remembered: the next request tries again (a model folder may appear while the server runs).
/// </summary>
public sealed class ServedModels(ModelRegistry registry, ModelBackendFactory factory) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<ModelBackend>> _loaded = new(StringComparer.Ordinal);

    public ModelRegistry Registry { get; } = registry;

    /// <summary>The entry and its backend, or null when <paramref name="name"/> is not in the registry.</summary>
    public (ModelEntry Entry, ModelBackend Backend)? Resolve(string name)
    {
        var entry = Registry.Find(name);
        if (entry is null)
            return null;
        var lazy = _loaded.GetOrAdd(name, _ => new Lazy<ModelBackend>(() => factory(entry)));
        try
        {
            return (entry, lazy.Value);
        }
        catch
        {
            _loaded.TryRemove(KeyValuePair.Create(name, lazy));
            throw;
        }
    }

    /// <summary>The backends loaded so far, by public name.</summary>
    public IEnumerable<(string Name, ModelBackend Backend)> Loaded() =>
        _loaded.Where(p => p.Value.IsValueCreated).Select(p => (p.Key, p.Value.Value));

    public void Dispose()
    {
        foreach (var lazy in _loaded.Values)
            if (lazy.IsValueCreated)
                lazy.Value.Dispose();
    }
}
