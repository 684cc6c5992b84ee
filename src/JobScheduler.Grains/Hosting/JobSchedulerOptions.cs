using JobScheduler.Core.Actions;
using JobScheduler.Grains.Actions;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Hosting;

/// <summary>Silo-side behaviour of the scheduler, bound from the <c>JobScheduler</c> configuration section.</summary>
public sealed class JobSchedulerOptions
{
    public const string Section = "JobScheduler";

    /// <summary>How late a fire time may be and still count as on time; older ones are misfires. Default 1 minute.</summary>
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>At most this many missed fire times run under <c>misfire: fireAll</c>. Default 100.</summary>
    public int MaxCatchUpFires { get; set; } = 100;

    /// <summary>Executions kept per job; the oldest finished ones beyond it are dropped. Default 1000.</summary>
    public int MaxExecutionsPerJob { get; set; } = 1000;

    /// <summary>
    /// Executions finished longer ago than this are dropped in the background (by one silo), besides the bound by count.
    /// Default 30 days; set it empty to keep history by count only.
    /// </summary>
    public TimeSpan? MaxExecutionAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often a silo sweeps for interrupted executions, due jobs and expired history. Default 15 s.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Characters of output kept per attempt (the tail of stdout+stderr). Default 65536.</summary>
    public int MaxOutputChars { get; set; } = 64 * 1024;

    /// <summary>The most steps a DAG may have (<c>JobScheduler:MaxDagSteps</c>). Default 1,000.</summary>
    public int MaxDagSteps { get; set; } = 1000;

    /// <summary>Which actions this silo runs.</summary>
    public ActionsOptions Actions { get; set; } = new();
}

public sealed class ActionsOptions
{
    public CommandActionOptions Command { get; set; } = new();

    public HttpActionOptions Http { get; set; } = new();
}

/// <summary>
/// <c>http</c> actions reach public addresses only: loopback, link-local (the cloud metadata services), private,
/// unique-local and reserved ranges (<see cref="NetworkPolicy.BlockedNetworks"/>) are refused unless allowed here.
/// </summary>
public sealed class HttpActionOptions
{
    /// <summary>
    /// CIDR ranges (or single addresses) http actions may reach besides public addresses, e.g. <c>127.0.0.0/8</c>.
    /// Default: none (Development allows loopback). Checked at submission for IP literals and on every connection.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>How long an http action may take to open a connection. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// <c>command</c> actions are remote code execution by design: off unless an operator turns them on.
/// </summary>
public sealed class CommandActionOptions
{
    /// <summary>Whether <c>command</c> actions may be created and run. Default false (true in the Development settings).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// When non-empty, the only executables a command action may run: each entry an absolute path or a name looked up
    /// on the server's PATH, matched by canonical path (<see cref="JobScheduler.Core.CommandExecutable"/>) when a job is
    /// submitted and again on the node that runs it. Default: empty, any program.
    /// </summary>
    public List<string> AllowedExecutables { get; set; } = [];

    /// <summary>
    /// The account commands run as when the server runs as root (<see cref="Environment.IsPrivilegedProcess"/>): the
    /// child gets that account's uid, gid and groups, an environment of its own (no variable of the server's), and a
    /// fresh working directory it owns. Never root (refused at start). Default <see cref="DefaultRunAsUser"/>. Ignored
    /// when the server is not root: commands then run as the server's own user.
    /// </summary>
    public string RunAsUser { get; set; } = DefaultRunAsUser;

    /// <summary>The account commands run as when the server is root and <see cref="RunAsUser"/> is not set.</summary>
    public const string DefaultRunAsUser = "nobody";
}

internal sealed class JobSchedulerOptionsValidator : IValidateOptions<JobSchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, JobSchedulerOptions options)
    {
        var failures = new List<string>();
        if (options.MisfireThreshold < TimeSpan.Zero)
        {
            failures.Add("JobScheduler:MisfireThreshold must not be negative.");
        }
        if (options.MaxCatchUpFires < 0)
        {
            failures.Add("JobScheduler:MaxCatchUpFires must not be negative.");
        }
        if (options.MaxExecutionsPerJob < 1)
        {
            failures.Add("JobScheduler:MaxExecutionsPerJob must be at least 1.");
        }
        if (options.MaxExecutionAge is { } age && age <= TimeSpan.Zero)
        {
            failures.Add("JobScheduler:MaxExecutionAge must be positive when set.");
        }
        if (options.MaintenanceInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add("JobScheduler:MaintenanceInterval must be at least one second.");
        }
        if (options.MaxDagSteps < 1)
        {
            failures.Add("JobScheduler:MaxDagSteps must be at least 1.");
        }
        if (options.MaxOutputChars < 0)
        {
            failures.Add("JobScheduler:MaxOutputChars must not be negative.");
        }
        var runAs = options.Actions.Command.RunAsUser;
        if (string.IsNullOrWhiteSpace(runAs))
        {
            failures.Add($"JobScheduler:Actions:Command:RunAsUser must name an unprivileged account (default {CommandActionOptions.DefaultRunAsUser}).");
        }
        else if (runAs is "root" or "0" || (OperatingSystem.IsLinux() && UnixUser.Find(runAs) is { Uid: 0 }))
        {
            failures.Add($"JobScheduler:Actions:Command:RunAsUser is '{runAs}', which is root: command actions never run as root. Name an unprivileged account (default {CommandActionOptions.DefaultRunAsUser}).");
        }
        try
        {
            NetworkPolicy.Parse(options.Actions.Http.AllowedNetworks);
        }
        catch (FormatException ex)
        {
            failures.Add(ex.Message);
        }
        if (options.Actions.Http.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add("JobScheduler:Actions:Http:ConnectTimeout must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
