using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using JobScheduler.Testing;

namespace JobScheduler.Api.Tests;

internal static class HttpExtensions
{
    /// <summary>Sends as <paramref name="user"/> (created with <paramref name="role"/> on first use), or as admin when null.</summary>
    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient http, HttpMethod method, string path, string? json, string? user = null, string role = "operator")
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        if (user is not null)
        {
            request.Options.Set(TestLogin.UserOption, user);
            request.Options.Set(TestLogin.RoleOption, role);
        }
        return http.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(JobSchedulerJson.Options))!;
}
