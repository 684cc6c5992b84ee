using JobScheduler.Core.Secrets;

namespace JobScheduler.Core.Tests.Secrets;

public sealed class ActionSecretsTests
{
    // A stand-in for Data Protection: reversible and visibly different from the value.
    private static string Seal(string value) => ActionSecrets.SealedPrefix + new string(value.Reverse().ToArray());

    private static string Open(string value) => new(value[ActionSecrets.SealedPrefix.Length..].Reverse().ToArray());

    private static ActionSpec Command(Dictionary<string, string> secrets) =>
        new() { Kind = ActionKind.Command, Command = "sh", Env = new() { ["PLAIN"] = "p" }, Secrets = secrets };

    [Fact]
    public void Seal_NewValues_AreSealed_AndPlainFieldsUntouched()
    {
        var errors = new List<FieldError>();

        var sealedAction = ActionSecrets.Seal(Command(new() { ["TOKEN"] = "abc" }), null, Seal, "action", errors);

        Assert.Empty(errors);
        Assert.Equal("enc:v1:cba", sealedAction.Secrets!["TOKEN"]);
        Assert.Equal("p", sealedAction.Env!["PLAIN"]);
    }

    [Fact]
    public void Seal_Mask_KeepsTheStoredValue_AndAValueLookingSealed_IsSealedAgain()
    {
        var stored = Command(new() { ["TOKEN"] = "enc:v1:stored" });
        var errors = new List<FieldError>();

        var sealedAction = ActionSecrets.Seal(Command(new() { ["TOKEN"] = "***", ["PLANTED"] = "enc:v1:someone-elses" }), stored, Seal, "action", errors);

        Assert.Empty(errors);
        Assert.Equal("enc:v1:stored", sealedAction.Secrets!["TOKEN"]);
        Assert.Equal(Seal("enc:v1:someone-elses"), sealedAction.Secrets!["PLANTED"]);
    }

    [Fact]
    public void Seal_MaskWithNothingStored_NamesTheField()
    {
        var errors = new List<FieldError>();

        ActionSecrets.Seal(Command(new() { ["TOKEN"] = "***" }), Command(new() { ["OTHER"] = "enc:v1:x" }), Seal, "steps[2].action", errors);

        Assert.Equal("steps[2].action.secrets.TOKEN", Assert.Single(errors).Field);
    }

    [Fact]
    public void Seal_SecretHeaderMask_FindsTheStoredHeaderInAnyCase()
    {
        var stored = new ActionSpec { Kind = ActionKind.Http, SecretHeaders = new() { ["Authorization"] = "enc:v1:kept" } };
        var errors = new List<FieldError>();

        var sealedAction = ActionSecrets.Seal(stored with { SecretHeaders = new() { ["authorization"] = "***" } }, stored, Seal, "action", errors);

        Assert.Empty(errors);
        Assert.Equal("enc:v1:kept", sealedAction.SecretHeaders!["authorization"]);
    }

    [Fact]
    public void Redact_JobAndDag_ShowMaskOnly_AndLeaveTheStoredOnesAlone()
    {
        var action = Command(new() { ["TOKEN"] = "enc:v1:x" });
        var job = new JobInfo { Id = "j", Action = action };
        var dag = new DagInfo { Id = "d", Steps = [new DagStepSpec { Id = "a", Action = action }, new DagStepSpec { Id = "b", Action = ActionSpec.Run("true") }] };

        Assert.Equal("***", ActionSecrets.Redact(job).Action!.Secrets!["TOKEN"]);
        Assert.Equal("***", ActionSecrets.Redact(dag).Steps![0].Action!.Secrets!["TOKEN"]);
        Assert.Equal("enc:v1:x", job.Action!.Secrets!["TOKEN"]);
        var plain = new JobInfo { Id = "p", Action = ActionSpec.Run("true") };
        Assert.Same(plain, ActionSecrets.Redact(plain));
    }

    [Fact]
    public void Reveal_MergesOpenedSecretsIntoEnvAndHeaders_AndListsTheValues()
    {
        var command = ActionSecrets.Reveal(Command(new() { ["TOKEN"] = Seal("abc") }), Open, out var commandValues);
        var http = ActionSecrets.Reveal(
            new ActionSpec { Kind = ActionKind.Http, Headers = new() { ["X-A"] = "a", ["x-a"] = "b" }, SecretHeaders = new() { ["Authorization"] = Seal("Bearer t") } },
            Open, out var httpValues);

        Assert.Equal(new Dictionary<string, string> { ["PLAIN"] = "p", ["TOKEN"] = "abc" }, command.Env);
        Assert.Null(command.Secrets);
        Assert.Equal(["abc"], commandValues);
        Assert.Equal("Bearer t", http.Headers!["authorization"]);
        Assert.Null(http.SecretHeaders);
        Assert.Equal(["Bearer t"], httpValues);
    }
}
