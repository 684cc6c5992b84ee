using JobScheduler.Core.Secrets;

namespace JobScheduler.Core.Tests.Secrets;

public sealed class ActionSecretsValidatorTests
{
    private static List<FieldError> Validate(ActionSpec action)
    {
        var errors = new List<FieldError>();
        ActionSecretsValidator.Validate(action, "action", errors);
        return errors;
    }

    [Fact]
    public void ValidSecrets_PassAndMaskIsAccepted()
    {
        Assert.Empty(Validate(new ActionSpec { Kind = ActionKind.Command, Command = "x", Env = new() { ["A"] = "1" }, Secrets = new() { ["_TOKEN2"] = "v", ["B"] = "***" } }));
        Assert.Empty(Validate(new ActionSpec { Kind = ActionKind.Http, Url = "http://h", SecretHeaders = new() { ["Authorization"] = "Bearer x" } }));
    }

    [Fact]
    public void TooMany_TooLong_AndNul_AreRefused()
    {
        var many = Enumerable.Range(0, ActionSecretsValidator.MaxSecrets + 1).ToDictionary(i => $"S{i}", _ => "v");

        Assert.Equal("action.secrets", Assert.Single(Validate(new ActionSpec { Kind = ActionKind.Command, Secrets = many })).Field);
        Assert.Equal("action.secrets.A", Assert.Single(Validate(new ActionSpec { Kind = ActionKind.Command, Secrets = new() { ["A"] = new string('x', ActionSecretsValidator.MaxValueLength + 1) } })).Field);
        Assert.Equal("action.secrets.A", Assert.Single(Validate(new ActionSpec { Kind = ActionKind.Command, Secrets = new() { ["A"] = "a\0b" } })).Field);
    }

    [Fact]
    public void SecretHeaders_GivenTwiceInAnyCase_OrOnACommand_AreRefused()
    {
        Assert.Equal("action.secretHeaders.x-key", Assert.Single(Validate(new ActionSpec { Kind = ActionKind.Http, SecretHeaders = new() { ["X-Key"] = "a", ["x-key"] = "b" } })).Field);
        Assert.Equal("action.secretHeaders", Assert.Single(Validate(new ActionSpec { Kind = ActionKind.Command, SecretHeaders = new() { ["X-Key"] = "a" } })).Field);
    }

    [Fact]
    public void DagStep_SharesTheCheck_ThroughTheDagValidator()
    {
        var spec = new DagSpec { Steps = [new DagStepSpec { Id = "a", Action = new ActionSpec { Kind = ActionKind.Command, Command = "true", Secrets = new() { ["BAD-NAME"] = "v" } } }] };

        var errors = JobScheduler.Core.Dags.DagSpecValidator.Validate(spec, new ActionRules { CommandsEnabled = true }, DateTimeOffset.UnixEpoch, 10);

        Assert.Contains(errors, e => e.Field == "steps[0].action.secrets.BAD-NAME");
    }
}
