using System.Globalization;

namespace JobScheduler.Chaos;

/// <summary>Where a chaos run happens and for how long; everything random in it is drawn from <see cref="Seed"/>.</summary>
public sealed record ChaosOptions
{
    /// <summary><c>postgres</c> (three silos and an API process on a private PostgreSQL) or <c>sqlite</c> (the single-process default).</summary>
    public string Target { get; init; } = "postgres";

    public int Seed { get; init; } = 42;

    /// <summary>How long the workload runs under faults.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the cluster is left alone after the last fault before the checker reads it.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Where logs, the action record and the private PostgreSQL go; kept afterwards for a replay.</summary>
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), $"jobscheduler-chaos-{Guid.NewGuid():n}");

    /// <summary>Only these fault kinds (all the target's kinds when null), to replay or study one kind of fault.</summary>
    public IReadOnlyList<string>? Faults { get; init; }

    /// <summary>The server dll; found from the repository when not given.</summary>
    public string? ServerDll { get; init; }

    /// <summary>Write progress lines here (the console, or a test's output).</summary>
    public Action<string> Log { get; init; } = Console.WriteLine;

    public static ChaosOptions Parse(string[] args)
    {
        var options = new ChaosOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--target" => options with { Target = value is "postgres" or "sqlite" ? value : throw new ArgumentException("--target is postgres or sqlite.") },
                "--seed" => options with { Seed = int.Parse(value, CultureInfo.InvariantCulture) },
                "--duration" => options with { Duration = TimeSpan.Parse(value, CultureInfo.InvariantCulture) },
                "--settle" => options with { Settle = TimeSpan.Parse(value, CultureInfo.InvariantCulture) },
                "--work-dir" => options with { WorkDirectory = value },
                "--faults" => options with { Faults = ParseFaults(value) },
                "--server-dll" => options with { ServerDll = value },
                _ => throw new ArgumentException($"Unknown option {args[i]}. Options: --target postgres|sqlite, --seed N, --duration hh:mm:ss, --settle hh:mm:ss, --work-dir DIR, --faults KIND,KIND, --server-dll PATH."),
            };
            i++;
        }
        return options;
    }

    private static string[] ParseFaults(string value)
    {
        string[] known = ["kill-silo", "stop-silo", "kill-api", "restart-postgres", "step-clock", "kill-server", "stop-server"];
        var kinds = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return kinds.Length > 0 && kinds.All(known.Contains)
            ? kinds
            : throw new ArgumentException($"--faults takes a comma-separated list of: {string.Join(", ", known)}.");
    }
}
