using System.ComponentModel;
using System.Diagnostics;
using JobScheduler.Core;
using JobScheduler.Core.Dags;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// Runs a <c>command</c> action as a child process: no shell, arguments passed as-is, stdout and stderr kept
/// (their tail), exit code 0 is success. It is started on a <see cref="CommandLeash"/>, so that it dies with this
/// process; on timeout or cancel the leash is cut and the whole process tree killed. A DAG step also gets
/// its inputs as environment variables and a file of its own to write its outputs to (<see cref="StepEnvironment"/>).
/// The executable is checked against this node's allow-list and run by the full path found then
/// (<see cref="CommandExecutable"/>); a root server runs it as an unprivileged account (<see cref="CommandSandbox"/>).
/// </summary>
public sealed class CommandActionRunner(IOptionsMonitor<JobSchedulerOptions> options, ProcessLimits limits)
{
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    public async Task<ActionResult> RunAsync(AttemptRequest request, OutputTail output, CancellationToken cancellationToken)
    {
        var action = request.Action;
        var settings = options.CurrentValue.Actions.Command;
        // Checked again at run time: the job may predate a configuration change, or come from another node.
        if (!settings.Enabled)
        {
            return new ActionResult(AttemptOutcome.Failed, Error: "command actions are disabled on this node (JobScheduler:Actions:Command:Enabled=false).");
        }
        var executable = CommandExecutable.Check(action.Command!, settings.AllowedExecutables);
        if (executable.Error is { } refused)
        {
            return new ActionResult(AttemptOutcome.Failed, Error: $"refused on this node: {refused}");
        }
        if (!executable.Exists)
        {
            return new ActionResult(AttemptOutcome.Failed, Error: $"could not start '{action.Command}': no such program on this node{(executable.Path is null ? "'s PATH" : "")}.");
        }

        using var sandbox = CommandSandbox.Create(settings.RunAsUser, out var sandboxError);
        if (sandbox is null)
        {
            return new ActionResult(AttemptOutcome.Failed, Error: $"could not start '{action.Command}': {sandboxError}");
        }
        using var scope = limits.Prepare($"{request.ExecutionId}#{request.Attempt}", request.Limits);
        var (command, commandArguments) = scope.Wrap(executable.Path!, action.Args ?? []);
        var (fileName, arguments) = CommandLeash.Wrap(command, commandArguments);
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        sandbox.Configure(startInfo, action.WorkingDirectory);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in action.Env ?? [])
        {
            startInfo.Environment[name] = value;
        }
        startInfo.Environment["JOBSCHEDULER_JOB_ID"] = request.JobId;
        startInfo.Environment["JOBSCHEDULER_EXECUTION_ID"] = request.ExecutionId;
        startInfo.Environment["JOBSCHEDULER_ATTEMPT"] = request.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        startInfo.Environment["JOBSCHEDULER_SCHEDULED_AT"] = request.ScheduledAt.ToString("O");
        if (SchedulerTracing.TraceParentOf(Activity.Current) is { } traceParent)
        {
            // The action's span (W3C trace context), so that a traced program continues this execution's trace.
            startInfo.Environment[SchedulerTracing.TraceParentVariable] = traceParent;
        }
        if (request.DagInputs is not { } inputs)
        {
            return await RunProcessAsync(request, startInfo, scope, output, cancellationToken);
        }

        // Every attempt starts with an empty file of its own, so a retry never publishes what an earlier attempt wrote;
        // the sandbox deletes it afterwards.
        var outputFile = sandbox.CreateOutputFile();
        // As with JOBSCHEDULER_JOB_ID above, the scheduler's JOBSCHEDULER_* variables win over an action's env of the same
        // name: a step's inputs and its outputs file are what the run says they are.
        foreach (var (name, value) in StepEnvironment.For(inputs))
        {
            startInfo.Environment[name] = value;
        }
        startInfo.Environment[StepEnvironment.OutputFileVariable] = outputFile;
        var result = await RunProcessAsync(request, startInfo, scope, output, cancellationToken);
        return result.Outcome == AttemptOutcome.Succeeded ? await WithOutputsAsync(result, outputFile, cancellationToken) : result;
    }

    private static async Task<ActionResult> RunProcessAsync(
        AttemptRequest request, ProcessStartInfo startInfo, LimitScope scope, OutputTail output, CancellationToken cancellationToken)
    {
        var action = request.Action;
        var enforced = scope.Enforced.Count > 0 ? scope.Enforced.ToArray() : null;
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.AppendLine(e.Data); } };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            var who = startInfo.UserName is { Length: > 0 } user ? $" as '{user}'" : "";
            return new ActionResult(AttemptOutcome.Failed, Error: $"could not start '{action.Command}'{who}: {ex.Message}", Limits: enforced);
        }
        if (scope.MustJoin)
        {
            try
            {
                scope.Join(process.Id);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not one instruction of the command has run: the leash is still waiting for its go-ahead.
                KillTree(process);
                await process.WaitForExitAsync(CancellationToken.None);
                return new ActionResult(AttemptOutcome.Failed, Error: $"could not start '{action.Command}' inside its resource limits: {ex.Message}", Limits: enforced);
            }
        }
        CommandLeash.Release(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The cut leash kills the command's process group (what left the tree but not the group); the tree kill
            // takes the leash itself and the rest of the tree.
            CommandLeash.Cut(process);
            KillTree(process);
            using var grace = new CancellationTokenSource(KillGrace);
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                // The process ignored SIGKILL for 10 s (uninterruptible I/O); report the attempt anyway.
            }
            throw;
        }

        var exitCode = process.ExitCode;
        if (exitCode != 0 && scope.OomKilled)
        {
            return new ActionResult(AttemptOutcome.Failed, ExitCode: exitCode, Limits: enforced,
                Error: $"killed for exceeding its memory limit of {request.Limits!.MemoryMb} MB (exit code {exitCode})");
        }
        return exitCode == 0
            ? new ActionResult(AttemptOutcome.Succeeded, ExitCode: 0, Limits: enforced)
            : new ActionResult(AttemptOutcome.Failed, ExitCode: exitCode, Error: $"exited with code {exitCode}", Limits: enforced);
    }

    /// <summary>A succeeded step's result with the outputs its command wrote, or failed when the file is refused.</summary>
    private static async Task<ActionResult> WithOutputsAsync(ActionResult result, string outputFile, CancellationToken cancellationToken)
    {
        // A command that removed its file published nothing.
        var file = new FileInfo(outputFile);
        if (!file.Exists)
        {
            return result with { Outputs = [] };
        }
        // Checked before reading, so a runaway writer cannot fill this process's memory.
        var parsed = file.Length > StepOutputs.MaxBytes
            ? new StepOutputsResult([], $"the outputs file ({StepEnvironment.OutputFileVariable}) has {file.Length} bytes; at most {StepOutputs.MaxBytes} are accepted.")
            : StepOutputs.Parse(await File.ReadAllTextAsync(outputFile, cancellationToken));
        return parsed.IsValid
            ? result with { Outputs = parsed.Outputs }
            : result with { Outcome = AttemptOutcome.Failed, Error = $"outputs: {parsed.Error}" };
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
