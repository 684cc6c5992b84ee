namespace JobScheduler.Core.Tests;

/// <summary>Which program a command names, and whether an allow-list admits it, however the name is spelled.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CommandExecutableTests : IDisposable
{
    private static readonly string[] AllowSh = ["sh"];

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("jobscheduler-exe-tests-");

    private static string RealSh => CommandExecutable.Resolve("sh").Path!;

    /// <summary>An executable script named <paramref name="name"/> in the test's directory.</summary>
    private string Script(string name)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, "#!/bin/sh\necho impostor\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void Resolve_BareName_IsFoundOnPath_AsAnAbsoluteCanonicalPath()
    {
        var resolved = CommandExecutable.Resolve("sh");

        Assert.Null(resolved.Error);
        Assert.True(resolved.Exists);
        Assert.True(Path.IsPathRooted(resolved.Path));
        Assert.Equal("sh", Path.GetFileName(resolved.Path));
    }

    [Theory]
    [InlineData("../../bin/sh")]
    [InlineData("./sh")]
    [InlineData("bin/sh")]
    public void Check_RelativePath_IsRefused_EvenWithoutAnAllowList(string command)
    {
        var checkedCommand = CommandExecutable.Check(command, []);

        Assert.Contains("relative path", checkedCommand.Error);
        Assert.Null(checkedCommand.Path);
    }

    [Fact]
    public void Check_DotDotInAnAbsolutePath_IsResolvedBeforeMatching()
    {
        var viaDotDot = $"{Path.GetDirectoryName(RealSh)}/../{Path.GetFileName(Path.GetDirectoryName(RealSh))}/sh";

        Assert.Null(CommandExecutable.Check(viaDotDot, AllowSh).Error);
        Assert.Equal(RealSh, CommandExecutable.Check(viaDotDot, AllowSh).Path);
        // Climbing out of the allowed directory into one the caller controls is still the caller's program.
        var impostor = Script("sh");
        var climbing = $"{Path.GetDirectoryName(RealSh)}/../..{impostor}";
        Assert.Equal(impostor, CommandExecutable.Check(climbing, AllowSh).Path);
        Assert.Contains("AllowedExecutables", CommandExecutable.Check(climbing, AllowSh).Error);
    }

    [Fact]
    public void Check_ALinkNamedLikeAnAllowedProgram_IsNotThatProgram()
    {
        var link = Path.Combine(_directory.FullName, "sh");
        File.CreateSymbolicLink(link, RealSh);

        var checkedLink = CommandExecutable.Check(link, AllowSh);

        Assert.Contains("AllowedExecutables", checkedLink.Error);
    }

    [Fact]
    public void Check_ThroughALinkedDirectory_IsTheProgramInTheLinksTarget()
    {
        var linkedBin = Path.Combine(_directory.FullName, "bin");
        Directory.CreateSymbolicLink(linkedBin, Path.GetDirectoryName(RealSh)!);

        var checkedCommand = CommandExecutable.Check(Path.Combine(linkedBin, "sh"), AllowSh);

        Assert.Null(checkedCommand.Error);
        Assert.Equal(RealSh, checkedCommand.Path);
    }

    [Fact]
    public void Resolve_RelativeAndEmptyPathEntries_AreSkipped()
    {
        Script("jobscheduler-probe");
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, _directory.FullName);

        Assert.Null(CommandExecutable.Resolve("jobscheduler-probe", $"{relative}::.").Path);
        Assert.Equal(Path.Combine(_directory.FullName, "jobscheduler-probe"), CommandExecutable.Resolve("jobscheduler-probe", _directory.FullName).Path);
    }

    [Fact]
    public void Resolve_AFileThatIsNotExecutable_IsNotAProgram()
    {
        var path = Script("jobscheduler-probe");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Null(CommandExecutable.Resolve("jobscheduler-probe", _directory.FullName).Path);
    }

    [Fact]
    public void Check_AnEarlierPathEntry_DecidesWhichProgramABareNameIs()
    {
        Script("sh");
        var searchPath = $"{_directory.FullName}:{Path.GetDirectoryName(RealSh)}";

        // The allow-list entry and the command are read on the same PATH, so they agree; an absolute entry pins the program.
        Assert.Null(CommandExecutable.Check("sh", AllowSh, searchPath).Error);
        Assert.NotNull(CommandExecutable.Check("sh", [RealSh], searchPath).Error);
    }

    [Fact]
    public void Check_AllowListEntryNotOnPath_MatchesNothing()
    {
        var checkedCommand = CommandExecutable.Check("jobscheduler-no-such-program", ["jobscheduler-no-such-program"]);

        Assert.Contains("not on this server's PATH", checkedCommand.Error);
    }

    [Fact]
    public void Check_EmptyAllowList_AdmitsAnyProgram_AndAMissingOneIsNotAnError()
    {
        Assert.Null(CommandExecutable.Check("sh", []).Error);
        var missing = CommandExecutable.Check("/no/such/program", []);
        Assert.Null(missing.Error);
        Assert.False(missing.Exists);
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
