using JobScheduler.Core.Dags;

namespace JobScheduler.Core.Tests.Dags;

public class StepTemplateTests
{
    private static readonly StepInputs Inputs = new()
    {
        Upstream = new() { ["extract"] = new() { ["file"] = "a b/c&d.csv", ["rows"] = "42" } },
        Parameters = new() { ["date"] = "2026-01-15" },
    };

    [Fact]
    public void Apply_TextWithoutBraces_IsReturnedAsIs()
    {
        const string text = "https://example.com/x?y=1";

        Assert.Same(text, StepTemplate.Apply(text, Inputs, urlEncode: true));
    }

    [Fact]
    public void Apply_References_AreReplaced()
    {
        var body = StepTemplate.Apply("""{"rows": {{upstream.extract.rows}}, "file": "{{ upstream.extract.file }}", "date": "{{params.date}}"}""", Inputs, urlEncode: false);

        Assert.Equal("""{"rows": 42, "file": "a b/c&d.csv", "date": "2026-01-15"}""", body);
    }

    [Fact]
    public void Apply_WithUrlEncode_EscapesTheValues()
    {
        var url = StepTemplate.Apply("https://example.com/files/{{upstream.extract.file}}?date={{ params.date }}", Inputs, urlEncode: true);

        Assert.Equal("https://example.com/files/a%20b%2Fc%26d.csv?date=2026-01-15", url);
    }

    [Fact]
    public void Apply_UnknownReferences_BecomeEmpty()
    {
        var text = StepTemplate.Apply("[{{upstream.skipped.file}}][{{upstream.extract.missing}}][{{params.nope}}]", Inputs, urlEncode: false);

        Assert.Equal("[][][]", text);
    }

    [Fact]
    public void Apply_BracesThatAreNotReferences_AreLeftAlone()
    {
        const string text = "{{ other.thing }} and {{upstream.extract}}";

        Assert.Equal(text, StepTemplate.Apply(text, Inputs, urlEncode: false));
    }
}
