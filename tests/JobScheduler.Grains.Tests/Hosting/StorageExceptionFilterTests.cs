using System.Data.Common;
using JobScheduler.Grains.Hosting;
using Orleans.Storage;

namespace JobScheduler.Grains.Tests.Hosting;

/// <summary>
/// What a caller of a grain gets when the database fails under it: an exception it can receive and a REST client can be
/// told to retry (503), never the driver's own type, which Orleans cannot serialize (the chaos run saw
/// <c>CodecNotFoundException: Could not find a codec for type Npgsql.PostgresException</c> answered as a 500).
/// </summary>
public sealed class StorageExceptionFilterTests
{
    private sealed class DriverException(string message) : DbException(message);

    [Fact]
    public void ADriverException_BecomesStorageUnavailable()
    {
        var translated = StorageExceptionFilter.Translate(new DriverException("57P01: terminating connection"));

        Assert.NotNull(translated);
        Assert.Contains("57P01: terminating connection", translated.Message);
        Assert.Null(translated.InnerException);
    }

    [Fact]
    public void ADriverExceptionWrappedByOrleansStorage_BecomesStorageUnavailable()
    {
        // How Orleans reports a storage provider's failure: its own exception, the driver's inside.
        var wrapped = new OrleansException("Error from storage provider PostgresGrainStorage.job during WriteStateAsync for grain job/a",
            new DriverException("Exception while writing to stream"));

        var translated = StorageExceptionFilter.Translate(wrapped);

        Assert.NotNull(translated);
        Assert.Contains("Exception while writing to stream", translated.Message);
    }

    [Fact]
    public void AFencingRefusal_AndOrdinaryFailures_PassUnchanged()
    {
        Assert.Null(StorageExceptionFilter.Translate(new InconsistentStateException("written by another activation", new DriverException("x"))));
        Assert.Null(StorageExceptionFilter.Translate(new InvalidOperationException("a job's own rule")));
        Assert.Null(StorageExceptionFilter.Translate(new StorageUnavailableException("already translated")));
    }
}
