using Microsoft.Extensions.Logging;

namespace JobScheduler.Api.Auth;

internal sealed partial class AuthStartup
{
    // The one line that ever shows this password: it is generated once, for the first start, and never stored in clear.
    [LoggerMessage(Level = LogLevel.Warning, Message = "FIRST START: created the user '{Username}' with the generated password {Password} . It is shown only this once: log in (POST /api/auth/token) and create your own users.")]
    private partial void LogGeneratedAdmin(string username, string password);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: created the user '{Username}' with the password from JobScheduler:Auth:BootstrapAdminPassword.")]
    private partial void LogConfiguredAdmin(string username);
}
