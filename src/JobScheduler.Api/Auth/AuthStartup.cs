using JobScheduler.Core.Auth;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api.Auth;

/// <summary>
/// At start, after the silo (registered after Orleans, so the store's database is ready): loads the token signing key
/// and, when the database has no user, creates <c>admin</c> with <see cref="AuthOptions.BootstrapAdminPassword"/> or a
/// generated password written once to the log. Only the process whose insert wins writes it: never again after that.
/// </summary>
internal sealed partial class AuthStartup(
    SigningKeys signingKeys,
    IUserStore store,
    UserAccounts accounts,
    IOptions<AuthOptions> options,
    ILogger<AuthStartup> logger) : IHostedService
{
    public const string BootstrapAdmin = "admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await signingKeys.LoadAsync(cancellationToken);
        if (await store.AnyUserAsync(cancellationToken))
        {
            return;
        }
        var configured = options.Value.BootstrapAdminPassword;
        var password = configured ?? UserAccounts.GeneratePassword();
        if (!await store.AddUserAsync(accounts.NewUser(BootstrapAdmin, password, UserRole.Admin), cancellationToken))
        {
            return;
        }
        if (configured is null)
        {
            LogGeneratedAdmin(BootstrapAdmin, password);
        }
        else
        {
            LogConfiguredAdmin(BootstrapAdmin);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
