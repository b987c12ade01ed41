namespace Glm.Kernels.Quant;

/// <summary>
/// Element types of ggml tensors, with the numeric ids GGUF files store (ggml's <c>enum ggml_type</c>). Ids 4, 5 and
/// 31..33, 36..38 were used by formats ggml has since removed; files holding them are rejected. Every type is listed,
/// not only those the kernels implement.
/// </summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
}

/// <summary>
/// Storage facts about <see cref="GgmlType"/> values: how many elements one block holds and how many bytes it takes.
/// A tensor's rows (its innermost dimension, GGUF <c>ne0</c>) are a whole number of blocks. Stateless, thread-safe.
/// </summary>
/// <remarks>The table follows ggml's <c>type_traits</c> and lists every type GGUF files may hold; the kernels compute
/// with only some of them (F32, F16, BF16, Q8_0, Q4_0, Q6_K, Q8_K) and reject the rest.</remarks>
public static class GgmlTypes
{
    private const int QK_K = 256;

    /// <summary>(elements per block, bytes per block) by type id; (0, 0) for ids that are not types.</summary>
    private static readonly (int Block, int Bytes)[] Table = BuildTable();

    private static (int, int)[] BuildTable()
    {
        var table = new (int, int)[40];
        void Set(GgmlType type, int block, int bytes) => table[(int)type] = (block, bytes);
        Set(GgmlType.F32, 1, 4);
        Set(GgmlType.F16, 1, 2);
        Set(GgmlType.Q4_0, 32, 2 + 16);
        Set(GgmlType.Q4_1, 32, 2 + 2 + 16);
        Set(GgmlType.Q5_0, 32, 2 + 4 + 16);
        Set(GgmlType.Q5_1, 32, 2 + 2 + 4 + 16);
        Set(GgmlType.Q8_0, 32, 2 + 32);
        Set(GgmlType.Q8_1, 32, 2 + 2 + 32);
        Set(GgmlType.Q2_K, QK_K, 2 + 2 + QK_K / 16 + QK_K / 4);
        Set(GgmlType.Q3_K, QK_K, 2 + QK_K / 4 + QK_K / 8 + 12);
        Set(GgmlType.Q4_K, QK_K, 2 + 2 + 12 + QK_K / 2);
        Set(GgmlType.Q5_K, QK_K, 2 + 2 + 12 + QK_K / 8 + QK_K / 2);
        Set(GgmlType.Q6_K, QK_K, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16);
        Set(GgmlType.Q8_K, QK_K, 4 + QK_K + QK_K / 8);
        Set(GgmlType.IQ2_XXS, QK_K, 2 + QK_K / 4);
        Set(GgmlType.IQ2_XS, QK_K, 2 + QK_K / 4 + QK_K / 32);
        Set(GgmlType.IQ3_XXS, QK_K, 2 + QK_K / 4 + QK_K / 8);
        Set(GgmlType.IQ1_S, QK_K, 2 + QK_K / 8 + QK_K / 16);
        Set(GgmlType.IQ4_NL, 32, 2 + 16);
        Set(GgmlType.IQ3_S, QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4);
        Set(GgmlType.IQ2_S, QK_K, 2 + QK_K / 4 + QK_K / 16);
        Set(GgmlType.IQ4_XS, QK_K, 2 + 2 + QK_K / 64 + QK_K / 2);
        Set(GgmlType.I8, 1, 1);
        Set(GgmlType.I16, 1, 2);
        Set(GgmlType.I32, 1, 4);
        Set(GgmlType.I64, 1, 8);
        Set(GgmlType.F64, 1, 8);
        Set(GgmlType.IQ1_M, QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32);
        Set(GgmlType.BF16, 1, 2);
        Set(GgmlType.TQ1_0, QK_K, 2 + 4 * 13);
        Set(GgmlType.TQ2_0, QK_K, 2 + QK_K / 4);
        Set(GgmlType.MXFP4, 32, 1 + 16);
        return table;
    }

    /// <summary>True when <paramref name="id"/> is a type this table knows (a file with any other id is rejected).</summary>
    public static bool IsKnown(uint id) => id < Table.Length && Table[id].Block != 0;

    /// <summary>Elements per block: 1 for plain types, 32 or 256 for quantized ones.</summary>
    public static int BlockSize(GgmlType type) => Lookup(type).Block;

    /// <summary>Bytes one block takes, e.g. 34 for <see cref="GgmlType.Q8_0"/>.</summary>
    public static int BytesPerBlock(GgmlType type) => Lookup(type).Bytes;

    /// <summary>True for types whose blocks hold more than one element.</summary>
    public static bool IsQuantized(GgmlType type) => Lookup(type).Block > 1;

    /// <summary>
    /// Bytes a tensor of <paramref name="type"/> with GGUF-order <paramref name="dims"/> (innermost first) takes.
    /// Throws <see cref="ArgumentException"/> when the innermost dimension is not a whole number of blocks or a
    /// dimension is negative, and <see cref="OverflowException"/> when the size does not fit a long.
    /// </summary>
    public static long ByteLength(GgmlType type, ReadOnlySpan<long> dims)
    {
        var (block, bytes) = Lookup(type);
        long rows = 1;
        for (int i = 1; i < dims.Length; i++)
        {
            if (dims[i] < 0) throw new ArgumentException($"dimension {i} is negative ({dims[i]})", nameof(dims));
            rows = checked(rows * dims[i]);
        }
        long rowLength = dims.Length == 0 ? 1 : dims[0];
        if (rowLength < 0) throw new ArgumentException($"dimension 0 is negative ({rowLength})", nameof(dims));
        if (rowLength % block != 0)
            throw new ArgumentException($"row length {rowLength} is not a multiple of the {type} block size {block}", nameof(dims));
        return checked(rowLength / block * bytes * rows);
    }

    /// <summary>Bytes of a row of <paramref name="n"/> values; throws unless n is a multiple of the block size.</summary>
    public static int RowBytes(GgmlType type, int n)
    {
        int bs = BlockSize(type);
        if (n < 0 || n % bs != 0)
        {
            throw new ArgumentException($"Row length {n} is not a multiple of the {type} block size {bs}.", nameof(n));
        }
        return n / bs * BytesPerBlock(type);
    }

    private static (int Block, int Bytes) Lookup(GgmlType type)
    {
        if (!IsKnown((uint)type)) throw new ArgumentOutOfRangeException(nameof(type), type, "not a known ggml type");
        return Table[(uint)type];
    }
}
