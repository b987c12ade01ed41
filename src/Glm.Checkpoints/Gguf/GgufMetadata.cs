using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Glm.Core;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// The key/value metadata of a GGUF file, in file order, with typed getters. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// <para>Getters throw <see cref="GlmException"/> naming the file, the key, the type asked for and the type found.
/// <c>Get…</c> also throws when the key is absent; <c>TryGet…</c> returns false for an absent key but still throws for
/// a key of the wrong type (a present key of the wrong type is a broken file, not a missing option).</para>
/// <para>Integer getters accept any integer type whose value fits (writers differ on u32 vs i32 for the same key);
/// float getters accept float32 and float64; the others want exactly their type.</para>
/// </remarks>
public sealed class GgufMetadata : IReadOnlyDictionary<string, GgufValue>
{
    private readonly Dictionary<string, GgufValue> _values;
    private readonly List<string> _order;

    internal GgufMetadata(string source, IEnumerable<KeyValuePair<string, GgufValue>> entries)
    {
        Source = source;
        _values = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        _order = [];
        foreach (var (key, value) in entries)
        {
            if (!_values.TryAdd(key, value)) throw new GlmException($"{source}: metadata key '{key}' appears twice");
            _order.Add(key);
        }
    }

    /// <summary>What the metadata came from (the file path), used in error messages.</summary>
    public string Source { get; }

    public int Count => _order.Count;

    /// <summary>Keys in file order.</summary>
    public IEnumerable<string> Keys => _order;

    public IEnumerable<GgufValue> Values => _order.Select(key => _values[key]);

    /// <summary>The value of <paramref name="key"/>; <see cref="GlmException"/> naming the key when absent.</summary>
    public GgufValue this[string key] => TryGetValue(key, out var value) ? value : throw Missing(key);

    public bool ContainsKey(string key) => _values.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out GgufValue value) => _values.TryGetValue(key, out value);

    public uint GetUInt32(string key) => TryGetUInt32(key, out uint value) ? value : throw Missing(key, "uint32");
    public int GetInt32(string key) => TryGetInt32(key, out int value) ? value : throw Missing(key, "int32");
    public ulong GetUInt64(string key) => TryGetUInt64(key, out ulong value) ? value : throw Missing(key, "uint64");
    public long GetInt64(string key) => TryGetInt64(key, out long value) ? value : throw Missing(key, "int64");
    public float GetFloat32(string key) => TryGetFloat32(key, out float value) ? value : throw Missing(key, "float32");
    public double GetFloat64(string key) => TryGetFloat64(key, out double value) ? value : throw Missing(key, "float64");
    public bool GetBool(string key) => TryGetBool(key, out bool value) ? value : throw Missing(key, "bool");
    public string GetString(string key) => TryGetString(key, out var value) ? value : throw Missing(key, "string");

    /// <summary>An array of strings, e.g. <c>tokenizer.ggml.tokens</c>. Shared: do not modify.</summary>
    public IReadOnlyList<string> GetStringArray(string key) => GetArray<string>(key);

    /// <summary>
    /// An array whose elements are exactly <typeparamref name="T"/> (byte, sbyte, ushort, short, uint, int, float, bool,
    /// ulong, long, double, string, or <see cref="GgufValue"/> for arrays of arrays). Shared: do not modify.
    /// </summary>
    public IReadOnlyList<T> GetArray<T>(string key) =>
        TryGetArray<T>(key, out var value) ? value : throw Missing(key, $"array of {typeof(T).Name}");

    public bool TryGetUInt32(string key, out uint value)
    {
        value = 0;
        if (!TryGetInteger(key, "uint32", out var raw)) return false;
        if (!raw.TryGetUInt64(out ulong wide) || wide > uint.MaxValue) throw OutOfRange(key, raw, "uint32");
        value = (uint)wide;
        return true;
    }

    public bool TryGetInt32(string key, out int value)
    {
        value = 0;
        if (!TryGetInteger(key, "int32", out var raw)) return false;
        if (!raw.TryGetInt64(out long wide) || wide is < int.MinValue or > int.MaxValue) throw OutOfRange(key, raw, "int32");
        value = (int)wide;
        return true;
    }

    public bool TryGetUInt64(string key, out ulong value)
    {
        value = 0;
        if (!TryGetInteger(key, "uint64", out var raw)) return false;
        if (!raw.TryGetUInt64(out value)) throw OutOfRange(key, raw, "uint64");
        return true;
    }

    public bool TryGetInt64(string key, out long value)
    {
        value = 0;
        if (!TryGetInteger(key, "int64", out var raw)) return false;
        if (!raw.TryGetInt64(out value)) throw OutOfRange(key, raw, "int64");
        return true;
    }

    public bool TryGetFloat32(string key, out float value)
    {
        bool found = TryGetFloat64(key, out double wide, "float32");
        value = (float)wide;
        return found;
    }

    public bool TryGetFloat64(string key, out double value) => TryGetFloat64(key, out value, "float64");

    public bool TryGetBool(string key, out bool value)
    {
        value = false;
        if (!TryGetValue(key, out var raw)) return false;
        value = raw.Raw is bool b ? b : throw WrongType(key, raw, "bool");
        return true;
    }

    public bool TryGetString(string key, [MaybeNullWhen(false)] out string value)
    {
        value = null;
        if (!TryGetValue(key, out var raw)) return false;
        value = raw.Type == GgufValueType.String ? (string)raw.Raw : throw WrongType(key, raw, "string");
        return true;
    }

    public bool TryGetArray<T>(string key, [MaybeNullWhen(false)] out IReadOnlyList<T> value)
    {
        value = null;
        if (!TryGetValue(key, out var raw)) return false;
        value = raw.Raw as T[] ?? throw WrongType(key, raw, $"array of {typeof(T).Name}");
        return true;
    }

    private bool TryGetFloat64(string key, out double value, string wanted)
    {
        value = 0;
        if (!TryGetValue(key, out var raw)) return false;
        value = raw.Raw switch
        {
            float f => f,
            double d => d,
            _ => throw WrongType(key, raw, wanted),
        };
        return true;
    }

    private bool TryGetInteger(string key, string wanted, [MaybeNullWhen(false)] out GgufValue value)
    {
        if (!TryGetValue(key, out value)) return false;
        if (value.IsArray || value.Type is GgufValueType.Float32 or GgufValueType.Float64 or GgufValueType.Bool or GgufValueType.String)
            throw WrongType(key, value, wanted);
        return true;
    }

    private GlmException Missing(string key, string? wanted = null) =>
        new($"{Source}: metadata key '{key}'{(wanted is null ? "" : $" ({wanted})")} is missing");

    private GlmException WrongType(string key, GgufValue value, string wanted) =>
        new($"{Source}: metadata key '{key}' is {value.TypeName}, expected {wanted}");

    private GlmException OutOfRange(string key, GgufValue value, string wanted) =>
        new($"{Source}: metadata key '{key}' is {value.TypeName} {value}, which does not fit {wanted}");

    public IEnumerator<KeyValuePair<string, GgufValue>> GetEnumerator() =>
        _order.Select(key => new KeyValuePair<string, GgufValue>(key, _values[key])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
