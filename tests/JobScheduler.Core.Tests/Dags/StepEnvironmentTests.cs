using JobScheduler.Core.Dags;

namespace JobScheduler.Core.Tests.Dags;

public class StepEnvironmentTests
{
    [Theory]
    [InlineData("extract", "EXTRACT")]
    [InlineData("build-a", "BUILD_A")]
    [InlineData("Row_Count2", "ROW_COUNT2")]
    [InlineData("café.v1", "CAF__V1")]
    public void Name_UpperCasesAndReplacesOtherCharacters(string name, string expected)
    {
        Assert.Equal(expected, StepEnvironment.Name(name));
    }

    [Fact]
    public void For_UpstreamOutputsAndParameters_BecomeVariables()
    {
        var inputs = new StepInputs
        {
            Upstream = new() { ["extract"] = new() { ["rows"] = "42" }, ["load-2"] = new() { ["table"] = "t1", ["at"] = "noon" } },
            Parameters = new() { ["date"] = "2026-01-15" },
        };

        var variables = StepEnvironment.For(inputs);

        Assert.Equal(new Dictionary<string, string>
        {
            ["JOBSCHEDULER_UPSTREAM_EXTRACT_ROWS"] = "42",
            ["JOBSCHEDULER_UPSTREAM_LOAD_2_TABLE"] = "t1",
            ["JOBSCHEDULER_UPSTREAM_LOAD_2_AT"] = "noon",
            ["JOBSCHEDULER_PARAM_DATE"] = "2026-01-15",
        }, variables);
    }

    [Fact]
    public void For_NoInputs_IsEmpty()
    {
        Assert.Empty(StepEnvironment.For(new StepInputs()));
    }

    [Fact]
    public void For_TwoSourcesOfOneName_TheFirstInOrdinalOrderKeepsIt()
    {
        // Step "a_b" output "c" and step "a" output "b_c" are both JOBSCHEDULER_UPSTREAM_A_B_C.
        var inputs = new StepInputs
        {
            Upstream = new() { ["a_b"] = new() { ["c"] = "from a_b" }, ["a"] = new() { ["b_c"] = "from a" } },
        };

        Assert.Equal("from a", StepEnvironment.For(inputs)["JOBSCHEDULER_UPSTREAM_A_B_C"]);
    }
}
