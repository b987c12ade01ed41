using System.Runtime.InteropServices;
using System.Text.Json;
using Glm.Server.Api.OpenAi;
using Glm.Server.Models;
using Glm.Server.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;

namespace Glm.Server.Api;

/// <summary>Endpoints with the same shape in both dialects: models, embeddings, tokenize.</summary>
internal static class CommonEndpoints
{
    public static void MapCommon(this RouteGroupBuilder group)
    {
        group.MapGet("/models", ListModels).WithSummary("Served models with their limits and prices");
        group.MapPost("/embeddings", EmbedAsync).Accepts<WireEmbeddingRequest>("application/json").WithSummary("Embeddings of one or more strings");
        group.MapPost("/tokenize", Tokenize).Accepts<WireTokenizeRequest>("application/json").WithSummary("Token ids of text, or the prompt size of messages");
    }

    private static Ok<WireModelList> ListModels(ServedModels models, GlmServerOptions options) => TypedResults.Ok(new WireModelList
    {
        Data = models.Registry.Entries.Select(e => new WireModel
        {
            Id = e.Name,
            Created = options.StartedAt.ToUnixTimeSeconds(),
            Kind = e.Kind == ModelKind.Chat ? "chat" : "embedding",
            ContextWindow = e.ContextWindow,
            MaxOutputTokens = e.MaxOutputTokens,
            Quantization = e.Quantization,
            InputPricePerMillion = e.Pricing.InputPerMillion,
            OutputPricePerMillion = e.Pricing.OutputPerMillion,
        }).ToList(),
    });

    private static async Task<Ok<WireEmbeddingList>> EmbedAsync(HttpRequest request, ServedModels models)
    {
        var body = await WireJson.ReadAsync<WireEmbeddingRequest>(request);
        var (entry, backend) = Resolve(models, body.Model);
        if (backend.Embeddings is null)
            throw ApiException.Unsupported(entry.Name, "embeddings");
        var inputs = Inputs(body.Input);
        if (body.Dimensions is <= 0)
            throw ApiException.Invalid("dimensions", $"must be at least 1 (got {body.Dimensions})");
        bool base64 = body.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            var other => throw ApiException.Invalid("encoding_format", $"\"{other}\" is not float or base64"),
        };

        var generated = await backend.Embeddings.GenerateAsync(inputs, new EmbeddingGenerationOptions { Dimensions = body.Dimensions, ModelId = entry.Name },
            request.HttpContext.RequestAborted);
        long tokens = generated.Usage?.InputTokenCount ?? inputs.Sum(i => (long)backend.Tokenizer.Encode(i).Length);
        return TypedResults.Ok(new WireEmbeddingList
        {
            Model = entry.Name,
            Data = generated.Select((g, i) => new WireEmbedding
            {
                Index = i,
                Embedding = base64 ? Convert.ToBase64String(MemoryMarshal.AsBytes(g.Vector.Span)) : g.Vector.ToArray(),
            }).ToList(),
            Usage = new WireUsage { PromptTokens = tokens, TotalTokens = tokens },
        });
    }

    private static async Task<Ok<WireTokenizeResponse>> Tokenize(HttpRequest request, ServedModels models)
    {
        var body = await WireJson.ReadAsync<WireTokenizeRequest>(request);
        var (entry, backend) = Resolve(models, body.Model);
        if (body.Text is not null == body.Messages is not null)
            throw ApiException.Invalid("text", "give exactly one of text and messages");
        if (body.Text is not null)
        {
            int[] ids = backend.Tokenizer.Encode(body.Text);
            return TypedResults.Ok(new WireTokenizeResponse { Model = entry.Name, TokenCount = ids.Length, Tokens = ids });
        }
        int count = backend.Tokenizer.CountPromptTokens(ChatMapping.ToMessages(body.Messages));
        return TypedResults.Ok(new WireTokenizeResponse { Model = entry.Name, TokenCount = count });
    }

    private static (ModelEntry, ModelBackend) Resolve(ServedModels models, string? model) =>
        string.IsNullOrEmpty(model) ? throw ApiException.Missing("model") : models.Resolve(model) ?? throw ApiException.UnknownModel(model);

    private static List<string> Inputs(JsonElement? input)
    {
        switch (input)
        {
            case { ValueKind: JsonValueKind.String } one:
                return [one.GetString()!];
            case { ValueKind: JsonValueKind.Array } many when many.GetArrayLength() > 0 && many.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                return many.EnumerateArray().Select(e => e.GetString()!).ToList();
            case null or { ValueKind: JsonValueKind.Null }:
                throw ApiException.Missing("input");
            default:
                throw ApiException.Invalid("input", "expected a string or a non-empty array of strings");
        }
    }
}
