using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace JobScheduler.Server;

/// <summary>
/// Tells OpenAPI readers how to call the API: a bearer token (<c>POST /api/auth/token</c>) or an <c>X-Api-Key</c>
/// header, either one, on every operation (health, the document itself and the login need neither; they are not
/// operations of the document but for the login, which says so in its description).
/// </summary>
internal sealed class SecuritySchemesTransformer : IOpenApiDocumentTransformer
{
    private const string Bearer = "bearer";
    private const string ApiKey = "apiKey";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.AddComponent<IOpenApiSecurityScheme>(Bearer, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An access token from POST /api/auth/token (15 minutes by default).",
        });
        document.AddComponent<IOpenApiSecurityScheme>(ApiKey, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = AuthPolicies.ApiKeyHeader,
            Description = "An API key from POST /api/auth/keys.",
        });
        // Either scheme satisfies a requirement: two alternatives, each on its own.
        document.Security =
        [
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] },
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKey, document)] = [] },
        ];
        return Task.CompletedTask;
    }
}
