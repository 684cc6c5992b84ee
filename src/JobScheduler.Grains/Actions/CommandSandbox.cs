using System.Diagnostics;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// Who one command attempt runs as, in which environment and directory, and where its outputs file is.
/// <para>
/// When the server is root (<see cref="Environment.IsPrivilegedProcess"/>) the child is started as the configured
/// unprivileged account (<c>JobScheduler:Actions:Command:RunAsUser</c>, default <c>nobody</c>) through
/// <see cref="ProcessStartInfo.UserName"/>: .NET sets its groups, gid and uid between fork and exec. Then it inherits
/// nothing of the server's environment (secrets, <c>HOME=/root</c>): it gets a safe <c>PATH</c>, <c>HOME</c>,
/// <c>USER</c>, <c>LOGNAME</c> and <c>LANG</c>, then the action's own env. Each attempt gets a directory
/// <c>$TMPDIR/jobscheduler-…/</c> owned by root (mode 0711) holding <c>work/</c>, owned by the account (0700: the
/// default working directory, since the server's is not the account's to use), and the DAG step's outputs file,
/// owned by the account (0600) so it can write it, but in a directory it cannot change, so it cannot swap the file for
/// a link to something only root may read before root reads it back. All of it is deleted after the attempt.
/// </para>
/// <para>Otherwise the child runs as the server's own user, with the server's environment and working directory, as
/// any child process does, and the outputs file is a temp file of the server's.</para>
/// </summary>
internal sealed class CommandSandbox : IDisposable
{
    /// <summary>The <c>PATH</c> a command run as another account starts with (Debian's default for root).</summary>
    public const string SafePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Traversable = OwnerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly UnixUser? _user;
    private readonly string? _directory;
    private string? _outputFile;

    private CommandSandbox(UnixUser? user, string? directory)
    {
        _user = user;
        _directory = directory;
    }

    /// <summary>The account the child runs as, or null for the server's own.</summary>
    public string? UserName => _user?.Name;

    /// <summary>
    /// The sandbox of one attempt: as <paramref name="runAsUser"/> when this process is root, as the server's user
    /// otherwise. Null, with <paramref name="error"/> saying why, when a root server cannot drop to that account.
    /// </summary>
    public static CommandSandbox? Create(string runAsUser, out string? error)
    {
        error = null;
        if (!Environment.IsPrivilegedProcess)
        {
            return new CommandSandbox(null, null);
        }
        if (!OperatingSystem.IsLinux())
        {
            error = "this server runs privileged, and command actions drop to an unprivileged account only on Linux; run the server as an ordinary user.";
            return null;
        }
        var user = UnixUser.Find(runAsUser);
        if (user is null)
        {
            error = $"the account '{runAsUser}' (JobScheduler:Actions:Command:RunAsUser) does not exist on this node; a server running as root runs commands only as an unprivileged account.";
            return null;
        }
        if (user.Uid == 0)
        {
            error = $"the account '{runAsUser}' (JobScheduler:Actions:Command:RunAsUser) is root; command actions never run as root.";
            return null;
        }
        var directory = Directory.CreateTempSubdirectory("jobscheduler-").FullName;
        try
        {
            File.SetUnixFileMode(directory, Traversable);
            var work = Path.Combine(directory, "work");
            Directory.CreateDirectory(work, OwnerOnly);
            user.Own(work);
            return new CommandSandbox(user, directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Sets the account, environment and default working directory of <paramref name="startInfo"/>.</summary>
    public void Configure(ProcessStartInfo startInfo, string? workingDirectory)
    {
        if (_user is null)
        {
            if (!string.IsNullOrEmpty(workingDirectory))
            {
                startInfo.WorkingDirectory = workingDirectory;
            }
            return;
        }
        startInfo.UserName = _user.Name;
        startInfo.WorkingDirectory = string.IsNullOrEmpty(workingDirectory) ? Path.Combine(_directory!, "work") : workingDirectory;
        var environment = startInfo.Environment;
        environment.Clear();
        environment["PATH"] = SafePath;
        environment["HOME"] = Directory.Exists(_user.Home) ? _user.Home : "/";
        environment["USER"] = _user.Name;
        environment["LOGNAME"] = _user.Name;
        environment["LANG"] = Environment.GetEnvironmentVariable("LANG") is { Length: > 0 } lang ? lang : "C.UTF-8";
    }

    /// <summary>A new, empty file the child may write (a DAG step's outputs), deleted with the sandbox.</summary>
    public string CreateOutputFile()
    {
        // Only a Linux server has an account to drop to (Create); the second test is for the platform analyzer.
        if (_user is null || !OperatingSystem.IsLinux())
        {
            _outputFile = Path.GetTempFileName();
            return _outputFile;
        }
        var path = Path.Combine(_directory!, "outputs");
        using (File.Create(path))
        {
        }
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _user.Own(path);
        _outputFile = path;
        return path;
    }

    public void Dispose()
    {
        try
        {
            if (_directory is not null)
            {
                Directory.Delete(_directory, recursive: true);
            }
            else if (_outputFile is not null)
            {
                File.Delete(_outputFile);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The command made it undeletable (a directory in its place, permissions, a straggler still writing); the temp
            // directory's cleaner has it.
        }
    }
}
