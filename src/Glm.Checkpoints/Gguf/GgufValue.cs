using System.Collections;
using System.Globalization;

namespace Glm.Checkpoints.Gguf;

/// <summary>Metadata value types of the GGUF format, with the numeric ids files store.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>
/// One GGUF metadata value: a scalar, a string, or an array of one element type (arrays of arrays allowed).
/// Immutable: arrays are copied in by the factories and must not be modified through <see cref="Raw"/>.
/// Equality is structural (same type, same elements), so values read back from a file compare equal to those written.
/// </summary>
public sealed class GgufValue : IEquatable<GgufValue>
{
    private GgufValue(GgufValueType type, GgufValueType elementType, object raw)
    {
        Type = type;
        ElementType = elementType;
        Raw = raw;
    }

    /// <summary>The value's type; <see cref="GgufValueType.Array"/> for arrays.</summary>
    public GgufValueType Type { get; }

    /// <summary>For arrays the element type; for scalars the same as <see cref="Type"/>.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>
    /// The value as a CLR object: a boxed scalar (byte, sbyte, ushort, short, uint, int, float, bool, ulong, long,
    /// double), a string, or for arrays a typed array of those (<c>GgufValue[]</c> for arrays of arrays). Shared: do
    /// not modify.
    /// </summary>
    public object Raw { get; }

    /// <summary>True for arrays.</summary>
    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Elements of an array; 1 for a scalar.</summary>
    public int Count => Raw is System.Array array ? array.Length : 1;

    public static GgufValue UInt8(byte value) => Scalar(GgufValueType.UInt8, value);
    public static GgufValue Int8(sbyte value) => Scalar(GgufValueType.Int8, value);
    public static GgufValue UInt16(ushort value) => Scalar(GgufValueType.UInt16, value);
    public static GgufValue Int16(short value) => Scalar(GgufValueType.Int16, value);
    public static GgufValue UInt32(uint value) => Scalar(GgufValueType.UInt32, value);
    public static GgufValue Int32(int value) => Scalar(GgufValueType.Int32, value);
    public static GgufValue Float32(float value) => Scalar(GgufValueType.Float32, value);
    public static GgufValue Bool(bool value) => Scalar(GgufValueType.Bool, value);
    public static GgufValue UInt64(ulong value) => Scalar(GgufValueType.UInt64, value);
    public static GgufValue Int64(long value) => Scalar(GgufValueType.Int64, value);
    public static GgufValue Float64(double value) => Scalar(GgufValueType.Float64, value);

    public static GgufValue String(string value) =>
        Scalar(GgufValueType.String, value ?? throw new ArgumentNullException(nameof(value)));

    public static GgufValue Array(IEnumerable<byte> values) => Of(GgufValueType.UInt8, values.ToArray());
    public static GgufValue Array(IEnumerable<sbyte> values) => Of(GgufValueType.Int8, values.ToArray());
    public static GgufValue Array(IEnumerable<ushort> values) => Of(GgufValueType.UInt16, values.ToArray());
    public static GgufValue Array(IEnumerable<short> values) => Of(GgufValueType.Int16, values.ToArray());
    public static GgufValue Array(IEnumerable<uint> values) => Of(GgufValueType.UInt32, values.ToArray());
    public static GgufValue Array(IEnumerable<int> values) => Of(GgufValueType.Int32, values.ToArray());
    public static GgufValue Array(IEnumerable<float> values) => Of(GgufValueType.Float32, values.ToArray());
    public static GgufValue Array(IEnumerable<bool> values) => Of(GgufValueType.Bool, values.ToArray());
    public static GgufValue Array(IEnumerable<ulong> values) => Of(GgufValueType.UInt64, values.ToArray());
    public static GgufValue Array(IEnumerable<long> values) => Of(GgufValueType.Int64, values.ToArray());
    public static GgufValue Array(IEnumerable<double> values) => Of(GgufValueType.Float64, values.ToArray());

    /// <summary>An array of strings, e.g. <c>tokenizer.ggml.tokens</c>. Null elements are rejected.</summary>
    public static GgufValue Array(IEnumerable<string> values)
    {
        var array = values.ToArray();
        if (System.Array.IndexOf(array, null) is var at and >= 0)
            throw new ArgumentException($"string array element {at} is null", nameof(values));
        return Of(GgufValueType.String, array);
    }

    /// <summary>An array whose elements are arrays (any element types).</summary>
    public static GgufValue Array(IEnumerable<GgufValue> arrays)
    {
        var array = arrays.ToArray();
        foreach (var item in array)
        {
            if (item is null || !item.IsArray) throw new ArgumentException("an array of arrays holds only array values", nameof(arrays));
        }
        return Of(GgufValueType.Array, array);
    }

    /// <summary>Wraps an array the reader built; the array is not copied.</summary>
    internal static GgufValue Of(GgufValueType elementType, System.Array elements) => new(GgufValueType.Array, elementType, elements);

    internal static GgufValue Scalar(GgufValueType type, object value) => new(type, type, value);

    /// <summary>The value as a signed integer when it is an integer scalar that fits a long; false otherwise.</summary>
    public bool TryGetInt64(out long value)
    {
        switch (Raw)
        {
            case byte v: value = v; return true;
            case sbyte v: value = v; return true;
            case ushort v: value = v; return true;
            case short v: value = v; return true;
            case uint v: value = v; return true;
            case int v: value = v; return true;
            case long v: value = v; return true;
            case ulong v when v <= long.MaxValue: value = (long)v; return true;
            default: value = 0; return false;
        }
    }

    /// <summary>The value as an unsigned integer when it is a non-negative integer scalar; false otherwise.</summary>
    public bool TryGetUInt64(out ulong value)
    {
        if (Raw is ulong big)
        {
            value = big;
            return true;
        }
        if (TryGetInt64(out long signed) && signed >= 0)
        {
            value = (ulong)signed;
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>A short description for error messages, e.g. <c>uint32</c> or <c>array of string</c>.</summary>
    public string TypeName => IsArray ? $"array of {NameOf(ElementType)}" : NameOf(Type);

    internal static string NameOf(GgufValueType type) => type.ToString().ToLowerInvariant();

    public bool Equals(GgufValue? other)
    {
        if (other is null || other.Type != Type || other.ElementType != ElementType) return false;
        if (Raw is System.Array mine && other.Raw is System.Array theirs)
            return mine.Length == theirs.Length && StructuralComparisons.StructuralEqualityComparer.Equals(mine, theirs);
        return Raw.Equals(other.Raw);
    }

    public override bool Equals(object? obj) => Equals(obj as GgufValue);

    public override int GetHashCode() =>
        HashCode.Combine(Type, ElementType, Raw is System.Array array ? array.Length : Raw.GetHashCode());

    /// <summary>The value as text: scalars invariantly formatted, arrays as their type and length.</summary>
    public override string ToString() => Raw switch
    {
        System.Array array => $"[{TypeName}, {array.Length} items]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => Raw.ToString() ?? "",
    };
}
