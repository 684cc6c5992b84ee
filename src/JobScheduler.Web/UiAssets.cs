using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;

namespace JobScheduler.Web;

/// <summary>
/// The UI's files, embedded in this assembly (wwwroot/): <c>/</c> answers the page shell, <c>/ui/{file}</c> its scripts
/// and styles. They hold no data (the pages fetch it from the REST API with the caller's token), so they are anonymous.
/// </summary>
public static class UiAssets
{
    private static readonly Assembly Assembly = typeof(UiAssets).Assembly;
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private static readonly HashSet<string> Files = [.. Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal))
        .Select(n => n["wwwroot/".Length..])];

    public static IEndpointRouteBuilder MapUiAssets(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", (HttpContext context) => Serve(context, "index.html")).WithName("UiIndex").AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/ui/{*file}", (HttpContext context, string file) => Serve(context, file)).WithName("UiAsset").AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    private static Results<FileStreamHttpResult, NotFound> Serve(HttpContext context, string file)
    {
        // Only names that were embedded: no path is ever built from the request.
        if (!Files.Contains(file) || Assembly.GetManifestResourceStream("wwwroot/" + file) is not { } stream)
        {
            return TypedResults.NotFound();
        }
        ContentSecurityPolicy.Apply(context.Response);
        var type = ContentTypes.TryGetContentType(file, out var known) ? known : "application/octet-stream";
        if (type.StartsWith("text/", StringComparison.Ordinal) || type.EndsWith("javascript", StringComparison.Ordinal))
        {
            type += "; charset=utf-8";
        }
        return TypedResults.Stream(stream, type);
    }
}
