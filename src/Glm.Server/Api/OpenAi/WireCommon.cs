using System.Text.Json;

namespace Glm.Server.Api.OpenAi;

// Model list, embeddings and tokenize: the same shapes on both dialects.

public sealed class WireModelList
{
    public string Object { get; set; } = "list";

    public List<WireModel> Data { get; set; } = [];
}

/// <summary>A served model with its limits and prices (per million tokens).</summary>
public sealed class WireModel
{
    public string? Id { get; set; }

    public string Object { get; set; } = "model";

    public long Created { get; set; }

    public string OwnedBy { get; set; } = "glmsharp";

    public string? Kind { get; set; }

    public int ContextWindow { get; set; }

    public int MaxOutputTokens { get; set; }

    public string? Quantization { get; set; }

    public decimal InputPricePerMillion { get; set; }

    public decimal OutputPricePerMillion { get; set; }
}

/// <summary><c>input</c> is a string or an array of strings; <c>encoding_format</c> is float (default) or base64.</summary>
public sealed class WireEmbeddingRequest
{
    public string? Model { get; set; }

    public JsonElement? Input { get; set; }

    public int? Dimensions { get; set; }

    public string? EncodingFormat { get; set; }

    public string? User { get; set; }

    public string? RequestId { get; set; }
}

public sealed class WireEmbeddingList
{
    public string Object { get; set; } = "list";

    public List<WireEmbedding> Data { get; set; } = [];

    public string? Model { get; set; }

    public WireUsage? Usage { get; set; }
}

/// <summary><c>embedding</c> is a float array, or base64 of little-endian float32 when asked for.</summary>
public sealed class WireEmbedding
{
    public string Object { get; set; } = "embedding";

    public int Index { get; set; }

    public object? Embedding { get; set; }
}

/// <summary>Counts tokens of plain <c>text</c>, or of <c>messages</c> rendered through the chat template.</summary>
public sealed class WireTokenizeRequest
{
    public string? Model { get; set; }

    public string? Text { get; set; }

    public List<WireMessage>? Messages { get; set; }
}

/// <summary><c>tokens</c> (the ids) only for <c>text</c>.</summary>
public sealed class WireTokenizeResponse
{
    public string? Model { get; set; }

    public int TokenCount { get; set; }

    public int[]? Tokens { get; set; }
}
