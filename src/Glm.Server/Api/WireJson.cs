using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Glm.Server.Serving;
using Microsoft.AspNetCore.Http;

namespace Glm.Server.Api;

/// <summary>JSON on the wire: snake_case names, nulls left out, and the request body reader that turns malformed
/// or oversized bodies into <see cref="ApiException"/>s.</summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static async Task<T> ReadAsync<T>(HttpRequest request) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, Options, request.HttpContext.RequestAborted)
                ?? throw ApiException.BadJson("the body is null");
        }
        catch (JsonException e)
        {
            throw ApiException.BadJson(e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw ApiException.BodyTooLarge(request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize);
        }
    }

    /// <summary>Yields each item, or the exception that ended the sequence early (cancellation still throws), so a
    /// stream can report a mid-stream failure in-band.</summary>
    public static async IAsyncEnumerable<(T Item, Exception? Error)> Guard<T>(IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var e = source.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            Exception? error = null;
            try
            {
                if (!await e.MoveNextAsync())
                    yield break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                error = ex;
            }
            if (error is not null)
            {
                yield return (default!, error);
                yield break;
            }
            yield return (e.Current, null);
        }
    }
}
