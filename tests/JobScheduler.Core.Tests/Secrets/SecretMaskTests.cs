using JobScheduler.Core.Secrets;

namespace JobScheduler.Core.Tests.Secrets;

public sealed class SecretMaskTests
{
    [Fact]
    public void Apply_MasksEveryOccurrence_LongestSecretFirst()
    {
        var mask = new SecretMask(["abc", "abcdef", ""]);

        Assert.Equal("x *** y *** z ***", mask.Apply("x abcdef y abc z abcdef"));
    }

    [Fact]
    public void Apply_TruncatedTailStartingInsideASecret_MasksItsEnd()
    {
        var mask = new SecretMask(["s3cret-value"]);

        Assert.Equal("***\nnext line", mask.Apply("et-value\nnext line", truncated: true));
        Assert.Equal("ue\nnext line", mask.Apply("ue\nnext line", truncated: true));
        Assert.Equal("et-value\nnext line".Length, mask.Apply("et-value\nnext line")!.Length);
    }

    [Fact]
    public void Apply_OutputsAndNull()
    {
        var mask = new SecretMask(["tok"]);

        Assert.Null(mask.Apply((string?)null));
        Assert.Equal(new Dictionary<string, string> { ["k"] = "a *** b" }, mask.Apply(new Dictionary<string, string> { ["k"] = "a tok b" }));
        Assert.Equal("tok", new SecretMask([]).Apply("tok"));
    }
}
