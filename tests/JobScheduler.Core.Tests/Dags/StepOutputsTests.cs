using JobScheduler.Core.Dags;

namespace JobScheduler.Core.Tests.Dags;

public class StepOutputsTests
{
    private static Dictionary<string, string> Parsed(string text)
    {
        var result = StepOutputs.Parse(text);
        Assert.Null(result.Error);
        return result.Outputs;
    }

    private static string Refused(string text)
    {
        var result = StepOutputs.Parse(text);
        Assert.False(result.IsValid);
        Assert.Empty(result.Outputs);
        return result.Error!;
    }

    [Fact]
    public void Parse_EmptyFile_HasNoOutputs()
    {
        Assert.Empty(Parsed(""));
    }

    [Fact]
    public void Parse_NameValueLines_KeepsEveryValueAsWritten()
    {
        var outputs = Parsed("rows=42\nfile=/tmp/a=b.csv\r\nempty=\n");

        Assert.Equal(new Dictionary<string, string> { ["rows"] = "42", ["file"] = "/tmp/a=b.csv", ["empty"] = "" }, outputs);
    }

    [Fact]
    public void Parse_SameNameTwice_LastWriteWins()
    {
        Assert.Equal("2", Parsed("n=1\nn=2\n")["n"]);
    }

    [Fact]
    public void Parse_BlankLines_AreIgnored()
    {
        Assert.Equal(["a", "b"], Parsed("\n  \na=1\n\r\n\nb=2").Keys.Order());
    }

    [Fact]
    public void Parse_Heredoc_KeepsTheLinesBetweenTheDelimiters()
    {
        var outputs = Parsed("before=1\nreport<<EOF_7f3a\nline one\n\nrows=3\nEOF\nEOF_7f3a\nafter=2\n");

        Assert.Equal("line one\n\nrows=3\nEOF", outputs["report"]);
        Assert.Equal("1", outputs["before"]);
        Assert.Equal("2", outputs["after"]);
        Assert.False(outputs.ContainsKey("rows"));
    }

    [Fact]
    public void Parse_HeredocWithCrLf_DropsTheCarriageReturns()
    {
        Assert.Equal("a\nb", Parsed("v<<END\r\na\r\nb\r\nEND\r\n")["v"]);
    }

    [Fact]
    public void Parse_EmptyHeredoc_IsAnEmptyValue()
    {
        Assert.Equal("", Parsed("v<<END\nEND")["v"]);
    }

    [Fact]
    public void Parse_EqualsBeforeAngleBrackets_IsAPlainValue()
    {
        Assert.Equal("a<<b", Parsed("x=a<<b\n")["x"]);
    }

    [Fact]
    public void Parse_UnterminatedHeredoc_IsAnError()
    {
        Assert.Contains("not closed by a line 'END'", Refused("ok=1\nv<<END\nsome text\n"));
    }

    [Fact]
    public void Parse_HeredocWithoutDelimiter_IsAnError()
    {
        Assert.Contains("line 1", Refused("v<<\nx\n"));
    }

    [Theory]
    [InlineData("just text")]
    [InlineData("rows = 42")]
    [InlineData("1rows=42")]
    [InlineData("=42")]
    [InlineData("my-name=1")]
    public void Parse_MalformedLine_IsAnErrorNamingTheLine(string line)
    {
        Assert.StartsWith("line 2:", Refused($"ok=1\n{line}\n"));
    }

    [Fact]
    public void Parse_MoreThan64KiB_IsAnError()
    {
        var fits = "v=" + new string('x', StepOutputs.MaxBytes - 3) + "\n";
        var over = "v=" + new string('é', StepOutputs.MaxBytes / 2) + "\n";

        Assert.Single(Parsed(fits));
        Assert.Contains($"at most {StepOutputs.MaxBytes}", Refused(over));
    }

    [Fact]
    public void Validate_ValidOutputs_IsNull()
    {
        Assert.Null(StepOutputs.Validate(new Dictionary<string, string> { ["rows"] = "42", ["_file"] = "x" }));
    }

    [Fact]
    public void Validate_InvalidName_SaysWhich()
    {
        Assert.Contains("'row-count'", StepOutputs.Validate(new Dictionary<string, string> { ["row-count"] = "42" }));
    }

    [Fact]
    public void Validate_MoreThan64KiBInAll_IsRefused()
    {
        var half = new string('x', StepOutputs.MaxBytes / 2);

        Assert.Null(StepOutputs.Validate(new Dictionary<string, string> { ["a"] = half[1..], ["b"] = half[1..] }));
        Assert.NotNull(StepOutputs.Validate(new Dictionary<string, string> { ["a"] = half, ["b"] = half }));
    }
}
