namespace JobScheduler.Core.Storage;

/// <summary>
/// The statements a store runs for one kind of state kept as rows of its own (a job's, an execution's): read the row
/// with its version, insert it (<c>version</c> null) or update it only if it still has <c>version</c>, delete it only if
/// it still has <c>version</c>. False means the fence did not hold. <see cref="RowGrainStorage"/> routes grain states to it.
/// </summary>
public interface IStateRows<TState> where TState : class
{
    Task<(TState State, int Version)?> ReadAsync(string id);

    Task<bool> WriteAsync(TState state, int? version);

    Task<bool> DeleteAsync(string id, int version);
}
