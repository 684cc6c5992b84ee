using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace JobScheduler.Api;

/// <summary>
/// A route id no grain can be addressed by (empty or only whitespace: Orleans refuses such a key with an exception, which
/// was a 500) names nothing: 404, or 422 naming <c>id</c> for a PUT that would create it. Every other id reaches its grain.
/// </summary>
internal static class RouteIds
{
    private static readonly string[] Names = ["id", "runId"];

    public static TBuilder RefuseUnaddressableIds<TBuilder>(this TBuilder builder, string what)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var request = context.HttpContext.Request;
            foreach (var name in Names)
            {
                if (request.RouteValues.TryGetValue(name, out var value) && value is string id && string.IsNullOrWhiteSpace(id))
                {
                    return HttpMethods.IsPut(request.Method)
                        ? Problems.Validation(StatusCodes.Status422UnprocessableEntity, [new("id", "is not a valid id: it is empty or only whitespace.")])
                        : Problems.NotFound(what, id);
                }
            }
            return await next(context);
        });
}
