using System.Text;

namespace Glm.Tokenizers.Tests;

/// <summary>Small tokenizer files written by the tests themselves: a tiktoken rank file and a SentencePiece model.</summary>
internal static class TinyModels
{
    /// <summary>Multi-byte tokens of the tiny tiktoken file, in rank order after the 256 single bytes.</summary>
    public static readonly string[] TiktokenMerges =
        ["he", "ll", "hell", "hello", " w", " wo", "or", " wor", " world", "\n\n", " 1", "你", "好", "你好", "ab", "abc", "bc"];

    /// <summary>
    /// A GLM-4-style tiktoken file: the 256 single bytes in a shuffled rank order (ranks need not equal byte values),
    /// then <see cref="TiktokenMerges"/>. Returns the number of ranks.
    /// </summary>
    public static int WriteTiktoken(string path)
    {
        var bytes = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList();
        var random = new Random(42);
        bytes = [.. bytes.OrderBy(_ => random.Next())];
        var tokens = bytes.Concat(TiktokenMerges.Select(Encoding.UTF8.GetBytes)).ToList();
        File.WriteAllLines(path, tokens.Select((t, rank) => $"{Convert.ToBase64String(t)} {rank}"));
        return tokens.Count;
    }

    /// <summary>Normal pieces of the tiny SentencePiece model, best score first.</summary>
    public static readonly string[] SentencePieces =
        ["▁", "h", "e", "l", "o", "w", "r", "d", "a", "b", "你", "好", "he", "ll", "▁h", "▁w", "or", "hell", "▁hell", "▁hello",
         "▁wor", "ld", "▁world", "你好", "▁你好", "ab", "▁a"];

    /// <summary>
    /// A ChatGLM-style SentencePiece BPE ModelProto, written field by field: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, the byte
    /// pieces &lt;0x00&gt;..&lt;0xFF&gt; at 3.. (so '\n' is 13, as in ChatGLM3), then <see cref="SentencePieces"/>.
    /// Identity normalizer with the dummy prefix, extra spaces kept, byte fallback on.
    /// Returns the number of pieces.
    /// </summary>
    public static int WriteSentencePiece(string path)
    {
        var model = new ProtoWriter();
        void Piece(string piece, float score, int type) =>
            model.Message(1, new ProtoWriter().String(1, piece).Float(2, score).Varint(3, type));

        Piece("<unk>", 0, 2);
        Piece("<s>", 0, 3);
        Piece("</s>", 0, 3);
        for (int b = 0; b < 256; b++) Piece($"<0x{b:X2}>", 0, 6);
        for (int i = 0; i < SentencePieces.Length; i++) Piece(SentencePieces[i], -i, 1);
        int count = 3 + 256 + SentencePieces.Length;

        model.Message(2, new ProtoWriter()
            .Varint(3, 2)          // model_type = BPE
            .Varint(4, count)      // vocab_size
            .Varint(35, 1)         // byte_fallback
            .Varint(40, 0).Varint(41, 1).Varint(42, 2).Varint(43, -1)); // unk, bos, eos, pad ids
        model.Message(3, new ProtoWriter()
            .String(1, "identity")
            .Varint(3, 1)          // add_dummy_prefix
            .Varint(4, 0)          // remove_extra_whitespaces
            .Varint(5, 1));        // escape_whitespaces
        File.WriteAllBytes(path, model.ToArray());
        return count;
    }

    /// <summary>Just enough of the protobuf wire format for ModelProto.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream stream = new();

        public byte[] ToArray() => stream.ToArray();

        public ProtoWriter Varint(int field, long value)
        {
            Tag(field, 0);
            WriteVarint((ulong)value);
            return this;
        }

        public ProtoWriter Float(int field, float value)
        {
            Tag(field, 5);
            stream.Write(BitConverter.GetBytes(value));
            return this;
        }

        public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        private ProtoWriter Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            WriteVarint((ulong)value.Length);
            stream.Write(value);
            return this;
        }

        private void Tag(int field, int wireType) => WriteVarint((ulong)(field << 3 | wireType));

        private void WriteVarint(ulong value)
        {
            while (value >= 0x80)
            {
                stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            stream.WriteByte((byte)value);
        }
    }
}
