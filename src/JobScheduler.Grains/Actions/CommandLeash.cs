using System.Diagnostics;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// Ties the processes of one command attempt to this server process, so that they die with it: a server killed with
/// SIGKILL must not leave its command running while the attempt, recorded <c>lost</c>, runs again elsewhere.
/// <para>
/// The command is started through a small <c>/bin/sh</c> wrapper (<see cref="Wrap"/>) whose stdin is a pipe this process
/// holds open for the whole attempt. The wrapper first waits for one line on it (<see cref="Release"/>): until then not
/// one instruction of the command has run, which lets <see cref="LimitScope.Join"/> move the waiting wrapper into the
/// attempt's cgroup first. It then starts the command in a session and process group of its own (<c>setsid</c>, which
/// does not fork here: the wrapper's child is no group leader, so the command's pid is its group's id) with
/// <c>/dev/null</c> as stdin, and a watcher that reads the pipe until end of file and then kills that whole group with
/// SIGKILL. End of file comes when this process closes the pipe (<see cref="Cut"/>) or dies: it holds the only write
/// end (.NET opens its pipes close-on-exec, so no other child inherits it). Otherwise the wrapper waits for the command,
/// stops the watcher and exits with the command's status (128 + the signal for a command killed by one), as the command
/// itself would have. Arguments reach the command as <c>"$@"</c>: never parsed by the shell.
/// </para>
/// <para>
/// What escapes: a process that leaves the command's group (<c>setsid</c>, <c>setpgid</c>) and the process tree, and a
/// process left in the group after the command itself has exited (the watcher stops with the command). Without a
/// <c>setsid</c> program (macOS) the watcher kills the command alone. On Windows there is no wrapper: the command is
/// started as it is, and dies with the server only if the OS kills it.
/// </para>
/// </summary>
internal static class CommandLeash
{
    /// <summary>The wrapper's <c>$0</c>: what <c>ps</c> shows for it.</summary>
    private const string Name = "jobscheduler-leash";

    /// <summary>
    /// The wrapper. dash's <c>kill</c> takes a negative pid (the group) right after the signal and no <c>--</c>; the pid
    /// itself is killed too, for the instant between the fork and <c>setsid</c>. An asynchronous list's stdin is
    /// <c>/dev/null</c> in a shell without job control, hence the pipe kept on fd 3 for the watcher. The stopped watcher
    /// is reaped before the wrapper exits, so that it has left the attempt's cgroup when the runner deletes that. dash
    /// reports a job killed by a signal on stderr (<c>Terminated</c>), which is the command's output: hence the
    /// redirected <c>wait</c>s.
    /// </summary>
    private const string Script = """
        read -r _ || exit 125
        exec 3<&0 </dev/null
        "$@" 3<&- &
        pid=$!
        { while read -r _; do :; done <&3; kill -KILL -"$pid" "$pid" 2>/dev/null; } &
        watcher=$!
        exec 3<&-
        wait "$pid" 2>/dev/null
        status=$?
        kill -KILL "$watcher" 2>/dev/null
        wait "$watcher" 2>/dev/null
        exit "$status"
        """;

    private static readonly string[] SetsidPaths = ["/usr/bin/setsid", "/bin/setsid"];

    private static readonly string? Setsid = SetsidPaths.FirstOrDefault(File.Exists);

    /// <summary>Whether commands are started through the wrapper on this OS (all but Windows).</summary>
    private static bool IsSupported => !OperatingSystem.IsWindows();

    /// <summary>
    /// The executable and arguments that start <paramref name="command"/> (a full path, or <c>prlimit</c> and its
    /// arguments from <see cref="LimitScope.Wrap"/>) on the leash. Start it with its stdin redirected.
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Arguments) Wrap(string command, IReadOnlyList<string> arguments)
    {
        if (!IsSupported)
        {
            return (command, arguments);
        }
        string[] setsid = Setsid is null ? [] : [Setsid];
        return ("/bin/sh", ["-c", Script, Name, .. setsid, command, .. arguments]);
    }

    /// <summary>
    /// Lets the waiting wrapper start the command (once it is inside its limits), keeping the pipe open: the leash holds
    /// until <see cref="Cut"/> or this process's death.
    /// </summary>
    public static void Release(Process process)
    {
        try
        {
            if (IsSupported)
            {
                process.StandardInput.WriteLine();
                process.StandardInput.Flush();
            }
            else
            {
                process.StandardInput.Close();
            }
        }
        catch (IOException)
        {
            // The wrapper is gone already (killed from outside): waiting for its exit reports that.
        }
    }

    /// <summary>Closes the pipe: the watcher kills the command's process group (cancel and timeout, with the tree kill).</summary>
    public static void Cut(Process process)
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The wrapper has exited; the pipe is closed all the same.
        }
    }
}
