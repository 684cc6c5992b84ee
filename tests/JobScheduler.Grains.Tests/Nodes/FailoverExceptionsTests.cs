using System.Reflection;
using JobScheduler.Grains.Nodes;
using Orleans.Storage;

namespace JobScheduler.Grains.Tests.Nodes;

/// <summary>
/// What counts as the ordinary consequence of a peer silo dying (logged as a warning, docs/reliability.md finding 4)
/// and what stays an error.
/// </summary>
public sealed class FailoverExceptionsTests
{
    public static TheoryData<string, Exception> Expected() => new()
    {
        { "silo declared dead while the call was out", new SiloUnavailableException("The target silo became unavailable for message: Request [...]") },
        { "message not delivered", Rejection("Exception while sending message: ConnectionFailedException: Unable to connect to S127.0.0.1:11111:0") },
        { "node left the cluster", new NodeUnavailableException("127.0.0.1:11111") },
        { "all parts of an aggregate are failovers", new AggregateException(new SiloUnavailableException(), new NodeUnavailableException("n")) },
    };

    public static TheoryData<string, Exception> NotExpected() => new()
    {
        { "a call that waited the whole response timeout", new TimeoutException("Response did not arrive on time in 00:00:30") },
        { "storage", new StorageUnavailableException("The database did not complete the request") },
        { "a bug", new InvalidOperationException("Attempt to access an invalid activation") },
        { "a conflict between activations", new InconsistentStateException("written by another activation") },
        { "an aggregate with one real error", new AggregateException(new SiloUnavailableException(), new NullReferenceException()) },
        { "an empty aggregate", new AggregateException() },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void IsExpected_FailoverOfAPeer_True(string what, Exception exception) =>
        Assert.True(FailoverExceptions.IsExpected(exception), what);

    [Theory]
    [MemberData(nameof(NotExpected))]
    public void IsExpected_AnythingElse_False(string what, Exception exception) =>
        Assert.False(FailoverExceptions.IsExpected(exception), what);

    [Fact]
    public void Describe_IsOneLine_WithTypeAndMessage() =>
        Assert.Equal("SiloUnavailableException: gone for good", FailoverExceptions.Describe(new SiloUnavailableException("gone\r\nfor good")));

    // Orleans creates these itself; its constructors are internal.
    private static OrleansMessageRejectionException Rejection(string message) =>
        (OrleansMessageRejectionException)Activator.CreateInstance(
            typeof(OrleansMessageRejectionException), BindingFlags.Instance | BindingFlags.NonPublic, binder: null, [message], culture: null)!;
}
