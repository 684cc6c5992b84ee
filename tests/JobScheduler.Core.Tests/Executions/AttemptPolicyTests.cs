using JobScheduler.Core.Executions;

namespace JobScheduler.Core.Tests.Executions;

public class AttemptPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly RetryPolicy ThreeAttempts = new()
    {
        MaxAttempts = 3,
        InitialBackoff = TimeSpan.FromSeconds(10),
        MaxBackoff = TimeSpan.FromMinutes(5),
        Multiplier = 2,
        Jitter = 0.5,
    };

    private static AttemptInfo[] Attempts(params AttemptOutcome?[] outcomes) =>
        [.. outcomes.Select((outcome, i) => new AttemptInfo { Number = i + 1, Node = "n", StartedAt = Now, Outcome = outcome })];

    [Fact]
    public void BeforeAttempt_AttemptsLeft_Runs() =>
        Assert.Equal(AttemptStep.Run, AttemptPolicy.BeforeAttempt(ThreeAttempts, Attempts(AttemptOutcome.Failed), cancelRequested: false));

    [Fact]
    public void BeforeAttempt_CancelRequestedDuringBackoff_Cancels() =>
        Assert.Equal(AttemptStep.Cancel, AttemptPolicy.BeforeAttempt(ThreeAttempts, Attempts(AttemptOutcome.Failed), cancelRequested: true));

    [Fact]
    public void BeforeAttempt_MaxAttemptsUsed_Fails() =>
        Assert.Equal(AttemptStep.Fail, AttemptPolicy.BeforeAttempt(
            ThreeAttempts, Attempts(AttemptOutcome.Failed, AttemptOutcome.TimedOut, AttemptOutcome.Failed), cancelRequested: false));

    [Fact]
    public void BeforeAttempt_LostAndInFlightAttempts_DoNotCount() =>
        Assert.Equal(AttemptStep.Run, AttemptPolicy.BeforeAttempt(
            ThreeAttempts, Attempts(AttemptOutcome.Failed, AttemptOutcome.Lost, AttemptOutcome.Lost, AttemptOutcome.Failed, null), cancelRequested: false));

    [Fact]
    public void Used_LostAndInFlightAttempts_AreNotCounted() =>
        Assert.Equal(2, AttemptPolicy.Used(Attempts(AttemptOutcome.Failed, AttemptOutcome.Lost, AttemptOutcome.TimedOut, null)));

    [Fact]
    public void AfterAttempt_Succeeded_Succeeds()
    {
        var step = AttemptPolicy.AfterAttempt(ThreeAttempts, Attempts(AttemptOutcome.Succeeded), AttemptOutcome.Succeeded, false, Now, 0.5);

        Assert.True(step.IsFinal);
        Assert.Equal(ExecutionState.Succeeded, step.FinalState);
    }

    [Fact]
    public void AfterAttempt_Cancelled_Cancels() =>
        Assert.Equal(ExecutionState.Cancelled,
            AttemptPolicy.AfterAttempt(ThreeAttempts, Attempts(AttemptOutcome.Cancelled), AttemptOutcome.Cancelled, true, Now, 0.5).FinalState);

    [Fact]
    public void AfterAttempt_Lost_RetriesAtOnceWithoutUsingARetry()
    {
        var attempts = Attempts(AttemptOutcome.Failed, AttemptOutcome.Failed, AttemptOutcome.Lost);

        var step = AttemptPolicy.AfterAttempt(ThreeAttempts, attempts, AttemptOutcome.Lost, false, Now, 0.5);

        Assert.Equal(AttemptStep.RetryNow, step);
        Assert.Equal(AttemptStep.Run, AttemptPolicy.BeforeAttempt(ThreeAttempts, attempts, cancelRequested: false));
    }

    [Theory]
    [InlineData(AttemptOutcome.Failed)]
    [InlineData(AttemptOutcome.TimedOut)]
    public void AfterAttempt_FailedWithAttemptsLeft_WaitsForTheBackoff(AttemptOutcome outcome)
    {
        var step = AttemptPolicy.AfterAttempt(ThreeAttempts, Attempts(AttemptOutcome.Failed, outcome), outcome, false, Now, 0.5);

        Assert.Equal(AttemptStepKind.WaitThenRun, step.Kind);
        Assert.False(step.IsFinal);
        // Second failure: 10 s · 2; a jitter value of 0.5 is the middle of the spread.
        Assert.Equal(Now + TimeSpan.FromSeconds(20), step.NextAttemptAt);
    }

    [Fact]
    public void AfterAttempt_Jitter_SpreadsTheWaitWithBackoff()
    {
        var step = AttemptPolicy.AfterAttempt(ThreeAttempts, Attempts(AttemptOutcome.Failed), AttemptOutcome.Failed, false, Now, 0);

        Assert.Equal(Now + Backoff.Delay(ThreeAttempts, 1, 0), step.NextAttemptAt);
        Assert.Equal(Now + TimeSpan.FromSeconds(5), step.NextAttemptAt);
    }

    [Fact]
    public void AfterAttempt_MaxAttemptsReached_Fails() =>
        Assert.Equal(AttemptStep.Fail, AttemptPolicy.AfterAttempt(
            ThreeAttempts, Attempts(AttemptOutcome.Failed, AttemptOutcome.Lost, AttemptOutcome.Failed, AttemptOutcome.Failed), AttemptOutcome.Failed, false, Now, 0.5));

    [Fact]
    public void AfterAttempt_FailedWhileCancelRequested_Cancels() =>
        Assert.Equal(AttemptStep.Cancel, AttemptPolicy.AfterAttempt(
            ThreeAttempts, Attempts(AttemptOutcome.Failed), AttemptOutcome.Failed, cancelRequested: true, Now, 0.5));

    [Fact]
    public void AfterAttempt_SingleAttemptPolicyFailed_Fails() =>
        Assert.Equal(AttemptStep.Fail, AttemptPolicy.AfterAttempt(
            new RetryPolicy(), Attempts(AttemptOutcome.Failed), AttemptOutcome.Failed, false, Now, 0.5));

    [Fact]
    public void FinalState_NotAFinalStep_Throws() =>
        Assert.Throws<InvalidOperationException>(() => AttemptStep.RetryNow.FinalState);
}
