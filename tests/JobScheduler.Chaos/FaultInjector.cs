using System.Text.Json;
using JobScheduler.Testing;
using Npgsql;

namespace JobScheduler.Chaos;

/// <summary>
/// Draws faults from the seed and inflicts them one after another, each followed by a pause: SIGKILL of a random silo
/// (restarted after a while), SIGSTOP of a silo for longer than the membership timeout then SIGCONT (restarted if it
/// left the cluster as a zombie does), SIGKILL of the API process, a PostgreSQL restart, a step of one silo's wall clock
/// (<see cref="SteppableClock"/>, when libfaketime is installed), and now and then a burst of submissions during the
/// fault. The kinds come in shuffled rounds, so a short run sees every kind.
/// </summary>
public sealed class FaultInjector(ChaosCluster cluster, Workload workload, ChaosApi api, Random random, Action<string> log)
{
    private static readonly TimeSpan ReadyPatience = TimeSpan.FromSeconds(120);

    private readonly List<Task> _bursts = [];

    public List<FaultRecord> Faults { get; } = [];

    public async Task RunAsync(DateTimeOffset until)
    {
        if (cluster.FaultKinds.Count == 0)
        {
            throw new InvalidOperationException("None of the chosen fault kinds applies to this target (step-clock needs libfaketime: apt-get install libfaketime).");
        }
        var deck = new Queue<string>();
        await Task.Delay(TimeSpan.FromSeconds(random.Next(8, 15)));
        while (DateTimeOffset.UtcNow < until)
        {
            if (deck.Count == 0)
            {
                foreach (var kind in cluster.FaultKinds.OrderBy(_ => random.Next()))
                {
                    deck.Enqueue(kind);
                }
            }
            var burst = random.Next(3) == 0 ? random.Next(20, 60) : 0;
            var record = await InflictAsync(deck.Dequeue(), burst);
            Faults.Add(record);
            log($"fault {record.Kind} {record.Target} from {record.StartedAt:HH:mm:ss.fff} (detected {record.DetectedAt:HH:mm:ss.fff}) to {record.EndedAt:HH:mm:ss.fff}{(burst > 0 ? $", burst {burst}" : "")}");
            await Task.Delay(TimeSpan.FromSeconds(random.Next(6, 16)));
        }
        // A burst's triggers may still be retrying; the fault itself is over when its process is back.
        await Task.WhenAll(_bursts);
    }

    private Task Burst(int count)
    {
        if (count > 0)
        {
            _bursts.Add(workload.BurstAsync(count));
        }
        return Task.CompletedTask;
    }

    private async Task<FaultRecord> InflictAsync(string kind, int burst)
    {
        var downFor = TimeSpan.FromMilliseconds(random.Next(2_000, 10_000));
        switch (kind)
        {
            case "kill-silo":
            case "stop-silo":
            {
                var silo = cluster.Silos[random.Next(cluster.Silos.Count)];
                var started = DateTimeOffset.UtcNow;
                log($"fault {kind} {silo.Name} ({silo.NodeId}) at {started:HH:mm:ss.fff}");
                Task<DateTimeOffset?> detected;
                Task bursting;
                if (kind == "kill-silo")
                {
                    await silo.KillAsync();
                    detected = WaitForDownAsync(silo, started);
                    bursting = Burst(burst);
                    await Task.Delay(downFor);
                    await StartAsync(silo);
                }
                else
                {
                    await silo.StopAsync();
                    detected = WaitForDownAsync(silo, started);
                    bursting = Burst(burst);
                    // Longer than the membership timeout (about 5–6 s): the cluster declares it dead while it sleeps.
                    await Task.Delay(TimeSpan.FromSeconds(10) + downFor);
                    await silo.ContinueAsync();
                    // A silo that finds itself declared dead stops by itself; it is started again like a killed one.
                    await Task.Delay(TimeSpan.FromSeconds(10));
                    if (!silo.Running)
                    {
                        log($"  {silo.Name} left after SIGCONT (declared dead); starting it again");
                        await StartAsync(silo);
                    }
                }
                var seen = await detected;
                await bursting;
                return new FaultRecord(kind, silo.Name, silo.NodeId, started, seen, DateTimeOffset.UtcNow, burst);
            }
            case "step-clock":
            {
                // A bad NTP step: one silo's wall clock jumps 5–40 s forward or back while everything else runs on; after
                // 10–20 s it is put right (a second step, as NTP would).
                var silo = cluster.Silos[random.Next(cluster.Silos.Count)];
                var offset = TimeSpan.FromSeconds(random.Next(5, 41) * (random.Next(2) == 0 ? 1 : -1));
                var started = DateTimeOffset.UtcNow;
                log($"fault step-clock {silo.Name} ({silo.NodeId}) by {offset.TotalSeconds:+0;-0} s at {started:HH:mm:ss.fff}");
                silo.Clock!.Set(offset);
                var bursting = Burst(burst);
                await Task.Delay(TimeSpan.FromSeconds(10) + downFor);
                silo.Clock.Set(TimeSpan.Zero);
                // Read again within a second; a silo that left the cluster meanwhile is started again.
                await Task.Delay(TimeSpan.FromSeconds(3));
                if (!silo.Running)
                {
                    log($"  {silo.Name} left while its clock was off; starting it again");
                    await StartAsync(silo);
                }
                await bursting;
                return new FaultRecord(kind, silo.Name, silo.NodeId, started, null, DateTimeOffset.UtcNow, burst, offset);
            }
            case "kill-api":
            case "kill-server":
            case "stop-server":
            {
                var node = cluster.Api;
                var started = DateTimeOffset.UtcNow;
                log($"fault {kind} {node.Name} at {started:HH:mm:ss.fff}");
                var bursting = Burst(burst);
                if (kind == "stop-server")
                {
                    await node.StopAsync();
                    await Task.Delay(downFor);
                    await node.ContinueAsync();
                }
                else
                {
                    await node.KillAsync();
                    await Task.Delay(downFor);
                    await StartAsync(node);
                }
                await bursting;
                return new FaultRecord(kind, node.Name, kind == "kill-api" ? null : node.NodeId, started, null, DateTimeOffset.UtcNow, burst);
            }
            case "restart-postgres":
            {
                var started = DateTimeOffset.UtcNow;
                log($"fault restart-postgres at {started:HH:mm:ss.fff}");
                var bursting = Burst(burst);
                await cluster.Postgres!.RestartAsync();
                await bursting;
                return new FaultRecord(kind, "postgres", null, started, null, DateTimeOffset.UtcNow, burst);
            }
            default:
                throw new InvalidOperationException($"Unknown fault {kind}.");
        }
    }

    private async Task StartAsync(ServerNode node)
    {
        node.Start();
        if (!await node.WaitReadyAsync(ReadyPatience))
        {
            log($"  {node.Name} not ready within {ReadyPatience} after a restart; see {node.LogPath}");
        }
    }

    /// <summary>
    /// When the cluster first showed the node dead: on PostgreSQL a new row of its port in the membership table with
    /// status Dead (6), which does not depend on any grain; else <c>/api/nodes</c> showing it <c>down</c>. Asked every
    /// 250 ms for 30 s at most.
    /// </summary>
    private async Task<DateTimeOffset?> WaitForDownAsync(ServerNode silo, DateTimeOffset since)
    {
        var deadBefore = await DeadGenerationsAsync(silo.SiloPort);
        while (DateTimeOffset.UtcNow < since.AddSeconds(30))
        {
            if (cluster.Postgres is not null)
            {
                deadBefore ??= await DeadGenerationsAsync(silo.SiloPort);
                var dead = await DeadGenerationsAsync(silo.SiloPort);
                if (dead is not null && deadBefore is not null && dead.Except(deadBefore).Any())
                {
                    return DateTimeOffset.UtcNow;
                }
            }
            else
            {
                var nodes = await api.GetAsync("/api/nodes", TestLogin.Admin);
                if (nodes.Ok && nodes.Json.GetProperty("items").EnumerateArray().Any(n =>
                        n.GetProperty("id").GetString() == silo.NodeId && n.GetProperty("state").GetString() == "down"))
                {
                    return nodes.AnsweredAt;
                }
            }
            await Task.Delay(250);
        }
        return null;
    }

    private async Task<HashSet<int>?> DeadGenerationsAsync(int port)
    {
        if (cluster.Postgres is null)
        {
            return [];
        }
        try
        {
            // Unpooled: a pooled connection may be one a PostgreSQL restart broke.
            await using var connection = new NpgsqlConnection(cluster.Postgres.ConnectionString + ";Pooling=false");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT Generation FROM OrleansMembershipTable WHERE Port = @port AND Status = 6", connection);
            command.Parameters.AddWithValue("port", port);
            var generations = new HashSet<int>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                generations.Add(reader.GetInt32(0));
            }
            return generations;
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(Faults, new JsonSerializerOptions { WriteIndented = true }));
}
