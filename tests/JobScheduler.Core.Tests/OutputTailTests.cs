namespace JobScheduler.Core.Tests;

public class OutputTailTests
{
    [Fact]
    public void ToString_NothingWritten_IsEmptyAndNotTruncated()
    {
        var tail = new OutputTail(10);

        Assert.Equal("", tail.ToString());
        Assert.False(tail.Truncated);
    }

    [Fact]
    public void ToString_LessThanCapacity_KeepsEverythingAndIsNotTruncated()
    {
        var tail = new OutputTail(10);
        tail.Append("abc");
        tail.Append("def");

        Assert.Equal("abcdef", tail.ToString());
        Assert.False(tail.Truncated);
    }

    [Fact]
    public void ToString_ExactlyCapacity_KeepsEverythingAndIsNotTruncated()
    {
        var tail = new OutputTail(5);
        tail.Append("12345");

        Assert.Equal("12345", tail.ToString());
        Assert.False(tail.Truncated);
    }

    [Fact]
    public void ToString_OneOverCapacity_KeepsLastCharactersAndIsTruncated()
    {
        var tail = new OutputTail(5);
        tail.Append("123456");

        Assert.Equal("23456", tail.ToString());
        Assert.True(tail.Truncated);
    }

    [Fact]
    public void ToString_ManySmallWrites_KeepsOnlyTheLastCharacters()
    {
        var tail = new OutputTail(8);
        for (var i = 0; i < 1000; i++)
        {
            tail.Append((i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal("23456789", tail.ToString());
        Assert.True(tail.Truncated);
    }

    [Fact]
    public void ToString_OneHugeWrite_KeepsOnlyItsEnd()
    {
        var tail = new OutputTail(4);
        tail.Append(new string('x', 100) + "tail");

        Assert.Equal("tail", tail.ToString());
        Assert.True(tail.Truncated);
    }

    [Fact]
    public void AppendLine_AddsNewlineAndNullIsAnEmptyLine()
    {
        var tail = new OutputTail(100);
        tail.AppendLine("first");
        tail.AppendLine(null);
        tail.AppendLine("third");

        Assert.Equal("first\n\nthird\n", tail.ToString());
    }

    [Fact]
    public void AppendLine_BeyondCapacity_KeepsLastLinesTail()
    {
        var tail = new OutputTail(12);
        for (var i = 1; i <= 5; i++)
        {
            tail.AppendLine($"line {i}");
        }

        Assert.Equal("ne 4\nline 5\n", tail.ToString());
        Assert.True(tail.Truncated);
    }

    [Fact]
    public void Append_NullOrEmpty_ChangesNothing()
    {
        var tail = new OutputTail(3);
        tail.Append(null);
        tail.Append("");

        Assert.Equal("", tail.ToString());
        Assert.False(tail.Truncated);
    }

    [Fact]
    public void ToString_CalledTwice_IsStable()
    {
        var tail = new OutputTail(3);
        tail.Append("abcdef");

        Assert.Equal("def", tail.ToString());
        Assert.Equal("def", tail.ToString());
        Assert.True(tail.Truncated);
    }

    [Fact]
    public void Append_AfterTruncation_StillKeepsTheLatestCharacters()
    {
        var tail = new OutputTail(3);
        tail.Append("abcdef");
        _ = tail.ToString();
        tail.Append("gh");

        Assert.Equal("fgh", tail.ToString());
        Assert.True(tail.Truncated);
    }

    [Fact]
    public void Append_FromSeveralThreads_KeepsCapacityAndLosesNoWholeWrites()
    {
        var tail = new OutputTail(1000);

        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 500; i++)
            {
                tail.Append("ab");
            }
        });

        var text = tail.ToString();
        Assert.Equal(1000, text.Length);
        Assert.Equal(string.Concat(Enumerable.Repeat("ab", 500)), text);
        Assert.True(tail.Truncated);
    }
}
