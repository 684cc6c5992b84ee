using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using JobScheduler.Testing;

namespace JobScheduler.Api.Tests;

/// <summary>
/// samples/DagEtl run as a user runs it (<c>dotnet DagEtl.dll host:port [--fail]</c> with <c>JOBSCHEDULER_API_KEY</c>)
/// against a real server: what it prints, its exit code, and the run the server recorded. The test project references
/// the sample, so building the tests builds it.
/// </summary>
public sealed partial class DagEtlSampleTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private static readonly string[] Transforms = ["transform-orders", "transform-customers", "transform-products"];

    [Fact]
    public async Task DagEtl_Succeeds_WithEveryStepSucceeded_AndTheCleanUpSkipped()
    {
        var sample = await RunSampleAsync();

        Assert.True(sample.ExitCode == 0, $"exit code {sample.ExitCode}\n{sample}");
        Assert.Contains("Run succeeded", sample.Output, StringComparison.Ordinal);
        var printed = sample.StepStates();
        Assert.Equal(["extract", .. Transforms, "load", "notify", "cleanup"], printed.Keys);
        Assert.All(printed.Where(p => p.Key != "cleanup"), p => Assert.Equal("succeeded", p.Value));
        Assert.Equal("skipped", printed["cleanup"]);
        // The outputs went from step to step: load saw each transform's file, named after extract's batch.
        var load = sample.StepLine("load");
        Assert.All(new[] { "orders", "customers", "products" }, table => Assert.Matches($@"batch-\d{{8}}T\d{{6}}-{table}\.parquet", load));

        var run = await RecordedRunAsync(sample);
        Assert.Equal(DagRunState.Succeeded, run.State);
        Assert.Equal(printed, run.Steps.ToDictionary(s => s.Id, s => s.State.ToString().ToLowerInvariant()));
    }

    [Fact]
    public async Task DagEtl_WithFail_FailsTheRun_SkipsTheBrokenTransformsDependants_AndRunsTheCleanUp()
    {
        var sample = await RunSampleAsync("--fail");

        Assert.True(sample.ExitCode == 1, $"exit code {sample.ExitCode}\n{sample}");
        Assert.Contains("Run failed", sample.Output, StringComparison.Ordinal);
        var printed = sample.StepStates();
        Assert.Equal("failed", printed["transform-products"]);
        Assert.Contains("products: malformed input", sample.StepLine("transform-products"), StringComparison.Ordinal);
        Assert.All(new[] { "extract", "transform-orders", "transform-customers" }, id => Assert.Equal("succeeded", printed[id]));
        Assert.Equal("skipped", printed["load"]);
        Assert.Contains("upstream step 'transform-products' failed", sample.StepLine("load"), StringComparison.Ordinal);
        Assert.Equal("skipped", printed["notify"]);
        Assert.Equal("succeeded", printed["cleanup"]);
        Assert.Contains("/retry", sample.Output, StringComparison.Ordinal);

        var run = await RecordedRunAsync(sample);
        Assert.Equal(DagRunState.Failed, run.State);
        Assert.Equal(printed, run.Steps.ToDictionary(s => s.Id, s => s.State.ToString().ToLowerInvariant()));
        // The transform's own retry policy: two attempts before the step failed.
        var broken = await server.Sdk.GetExecutionAsync(run.Steps.Single(s => s.Id == "transform-products").ExecutionId!);
        Assert.Equal(2, broken!.Attempts.Length);
    }

    /// <summary>The run the sample said it triggered, as the server has it.</summary>
    private async Task<DagRunInfo> RecordedRunAsync(SampleRun sample)
    {
        var runId = TriggeredRun().Match(sample.Output) is { Success: true } match ? match.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no run id printed\n{sample}");
        return await server.Sdk.GetDagRunAsync(runId) ?? throw new Xunit.Sdk.XunitException($"run {runId} not found\n{sample}");
    }

    /// <summary>Runs the built sample in a process of its own, as its README says, signed in with an API key of the SDK's user.</summary>
    private async Task<SampleRun> RunSampleAsync(params string[] options)
    {
        var startInfo = new ProcessStartInfo("dotnet", [SampleDll(), $"127.0.0.1:{server.GatewayPort}", .. options])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.Environment["JOBSCHEDULER_API_KEY"] = await TestLogin.ApiKeyAsync(server.BaseAddress, ServerFixture.SdkUser);
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // The sample gives up by itself after 90 s; this only guards against a hang.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        return new SampleRun(process.ExitCode, await output, await error);
    }

    private static string SampleDll()
    {
        var configuration = typeof(DagEtlSampleTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "JobScheduler.sln")))
        {
            directory = directory.Parent;
        }
        var path = Path.Combine(directory?.FullName ?? throw new InvalidOperationException("JobScheduler.sln not found above " + AppContext.BaseDirectory),
            "samples", "DagEtl", "bin", configuration, "net10.0", "DagEtl.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the sample first (the test project references it).", path);
    }

    [GeneratedRegex(@"^Triggered etl-sample: run (\S+?)[;\s]", RegexOptions.Multiline)]
    private static partial Regex TriggeredRun();

    /// <summary>A step's line in the sample's table: two spaces, the step id, its state.</summary>
    [GeneratedRegex(@"^  (\S+)\s+(pending|waiting|running|succeeded|failed|skipped|cancelled)\s", RegexOptions.Multiline)]
    private static partial Regex StepRow();

    private sealed record SampleRun(int ExitCode, string Output, string Error)
    {
        /// <summary>Each printed step's state, in the order printed.</summary>
        public Dictionary<string, string> StepStates() =>
            StepRow().Matches(Output).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

        public string StepLine(string stepId) =>
            Output.Split('\n').SingleOrDefault(line => line.StartsWith($"  {stepId} ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no line for step {stepId}\n{this}");

        public override string ToString() => $"stdout:\n{Output}\nstderr:\n{Error}";
    }
}
