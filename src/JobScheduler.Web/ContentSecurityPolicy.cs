namespace JobScheduler.Web;

/// <summary>
/// The headers every UI page and asset carries. Scripts and styles come from this origin only (no inline script, no
/// eval), requests go to this origin only, and no other site may frame the UI: an injected string can neither run nor
/// send data away. The pages render API data with <c>textContent</c> besides.
/// </summary>
public static class ContentSecurityPolicy
{
    public const string Value =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void Apply(Microsoft.AspNetCore.Http.HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = Value;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-cache";
    }
}
