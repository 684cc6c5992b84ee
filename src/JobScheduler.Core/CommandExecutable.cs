namespace JobScheduler.Core;

/// <summary>
/// Which file a <c>command</c> action's executable is, and whether a node's allow-list
/// (<c>JobScheduler:Actions:Command:AllowedExecutables</c>) admits it. The same rule is applied when a job is submitted
/// and again when an attempt starts, and the attempt runs the path found here, never a name the OS looks up again:
/// <list type="bullet">
/// <item>A bare name (<c>sh</c>) is looked up in the absolute directories of the server's <c>PATH</c>, in order; the
/// server's working directory, its own directory and the action's <c>env.PATH</c> play no part.</item>
/// <item>An absolute path is taken as given. A relative path (<c>./x</c>, <c>../../bin/sh</c>) is refused.</item>
/// <item>The canonical form resolves <c>.</c>, <c>..</c> and every symbolic link in the <i>directory</i>, and keeps the
/// file name: <c>/bin/sh</c> and <c>/usr/bin/sh</c> are one program when <c>/bin</c> links to <c>/usr/bin</c>, but a
/// link named <c>/tmp/x/sh</c> is not <c>/usr/bin/sh</c> (multi-call binaries such as busybox choose what to be by
/// the name they are started with, so a link's target is not the same program).</item>
/// </list>
/// An allow-list entry is read by the same rule on the node that checks it, and matches a command whose canonical path
/// is the same (ordinal). An entry that names nothing on that node (a bare name not on its PATH) matches nothing.
/// </summary>
public static class CommandExecutable
{
    private const int MaxLinks = 40;

    /// <summary>
    /// Where <paramref name="command"/> is on this node (<see cref="Resolution.Path"/> null: a bare name not on PATH), or
    /// why its form is refused (<see cref="Resolution.Error"/>).
    /// </summary>
    /// <param name="command">The action's <c>command</c>.</param>
    /// <param name="searchPath">The <c>PATH</c> to look bare names up in; null reads the server's own.</param>
    public static Resolution Resolve(string command, string? searchPath = null)
    {
        if (command.Contains('\0', StringComparison.Ordinal))
        {
            return Resolution.Refused("contains a NUL character.");
        }
        if (Path.IsPathRooted(command))
        {
            var path = Canonical(command);
            return new Resolution(path, File.Exists(path), null);
        }
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return Resolution.Refused($"'{command}' is a relative path; name a program on PATH or give its absolute path.");
        }
        if (command is "." or "..")
        {
            return Resolution.Refused($"'{command}' is not a program.");
        }
        foreach (var directory in (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            // Empty and relative entries mean the current directory, which is whatever the server happens to run in.
            if (!Path.IsPathRooted(directory))
            {
                continue;
            }
            var candidate = Path.Combine(directory, command);
            if (IsExecutableFile(candidate))
            {
                return new Resolution(Canonical(candidate), true, null);
            }
        }
        return new Resolution(null, false, null);
    }

    /// <summary>
    /// Whether <paramref name="command"/> may run under <paramref name="allowList"/>: the resolution to run, or the
    /// error naming why not. An empty allow-list admits every program (commands were enabled without one).
    /// </summary>
    public static Resolution Check(string command, IReadOnlyCollection<string> allowList, string? searchPath = null)
    {
        var resolved = Resolve(command, searchPath);
        if (resolved.Error is not null || allowList.Count == 0)
        {
            return resolved;
        }
        if (resolved.Path is null)
        {
            return resolved with { Error = $"'{command}' is not on this server's PATH, so it is not in JobScheduler:Actions:Command:AllowedExecutables." };
        }
        var allowed = allowList.Select(entry => Resolve(entry, searchPath).Path).Any(path => path is not null && string.Equals(path, resolved.Path, StringComparison.Ordinal));
        return allowed
            ? resolved
            : resolved with { Error = $"'{command}' ({resolved.Path}) is not in this server's JobScheduler:Actions:Command:AllowedExecutables." };
    }

    /// <summary>
    /// <paramref name="path"/> (absolute) with its directory resolved as <c>realpath(3)</c> would (<c>.</c>, <c>..</c>
    /// and symbolic links, left to right, <c>..</c> after a link going up from its target) and its file name kept.
    /// Parts that do not exist are kept as written.
    /// </summary>
    public static string Canonical(string path)
    {
        var fileName = Path.GetFileName(path);
        var directory = Path.GetDirectoryName(path);
        if (fileName is "." or ".." || directory is null)
        {
            return RealDirectory(path);
        }
        return Path.Combine(RealDirectory(directory), fileName);
    }

    private static string RealDirectory(string path)
    {
        var root = Path.GetPathRoot(path)!;
        var pending = new Stack<string>(path[root.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = root;
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks)
            {
                throw new IOException($"Too many levels of symbolic links at '{next}'.");
            }
            // The link's parts replace it; an absolute target starts again from the root.
            foreach (var linked in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(linked);
            }
            if (Path.IsPathRooted(target))
            {
                current = root;
            }
        }
        return current;
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        if (OperatingSystem.IsWindows())
        {
            return true;
        }
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }

    /// <summary>
    /// A command's place on this node: <see cref="Path"/> is the canonical path to run (null when a bare name is not on
    /// PATH, or the command is refused), <see cref="Exists"/> whether a file is there, <see cref="Error"/> why it may not
    /// run (null when it may, as far as the allow-list goes).
    /// </summary>
    public sealed record Resolution(string? Path, bool Exists, string? Error)
    {
        internal static Resolution Refused(string error) => new(null, false, error);
    }
}
