using JobScheduler.Core.Nodes;
using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Nodes;

namespace JobScheduler.Grains.Executions;

/// <summary>
/// An execution's wait for a node: asks the capacity ledger for a reservation and, while nothing fits, waits for the
/// ledger's <see cref="IPlacementListener.PlacedAsync"/> (repeating the request now and then, in case the ledger itself
/// moved and lost its queue). One per execution activation; runs on the grain's scheduler.
/// </summary>
internal sealed class AttemptPlacement(IGrainFactory grains, TimeProvider time)
{
    private static readonly TimeSpan PlacementRecheck = TimeSpan.FromSeconds(10);

    private TaskCompletionSource<string>? _placed;
    private string? _placedNode;
    private CancellationTokenSource? _cancel;

    /// <summary>
    /// Reserves a node for attempt <paramref name="attempt"/> of <paramref name="execution"/>. The reserved node's id, or
    /// null when a cancel came first (what was reserved or queued is then released).
    /// </summary>
    public async Task<string?> PlaceAsync(ExecutionInfo execution, int attempt, ExecutionRequest request, Func<bool> cancelRequested)
    {
        var reservation = new CapacityRequest(execution.Id, attempt, request.Resources?.CpuMillis ?? 0, request.Resources?.MemoryMb ?? 0,
            request.Priority, execution.CreatedAt);
        using var cancel = new CancellationTokenSource();
        using var span = SchedulerTracing.StartPlacement(request.TraceParent, execution.Id, attempt);
        span?.SetTag("jobscheduler.priority", request.Priority);
        _cancel = cancel;
        try
        {
            var node = await PlaceAsync(reservation, cancelRequested, cancel.Token);
            span?.SetTag(SchedulerTracing.NodeTag, node);
            return node;
        }
        finally
        {
            _cancel = null;
        }
    }

    /// <summary>Stops a wait for a node (a cancel of the execution).</summary>
    public void Interrupt() => _cancel?.Cancel();

    private async Task<string?> PlaceAsync(CapacityRequest reservation, Func<bool> cancelRequested, CancellationToken cancellationToken)
    {
        var ledger = grains.GetGrain<ICapacityLedgerGrain>(0);
        while (!cancelRequested())
        {
            _placedNode = null;
            if (await ledger.ReserveAsync(reservation) is { } node)
            {
                return node;
            }
            _placed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_placedNode is { } early)
            {
                // Granted while the reservation call was on its way back.
                return early;
            }
            try
            {
                return await _placed.Task.WaitAsync(PlacementRecheck, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Ask again: idempotent, and it re-queues this execution if the ledger lost its queue.
            }
            catch (OperationCanceledException)
            {
                break;
            }
            finally
            {
                _placed = null;
            }
        }
        await ledger.ReleaseAsync(reservation.ExecutionId);
        return null;
    }

    /// <summary>The ledger granted the waiting reservation on <paramref name="nodeId"/>.</summary>
    public void Placed(string nodeId)
    {
        _placedNode = nodeId;
        _placed?.TrySetResult(nodeId);
    }
}
