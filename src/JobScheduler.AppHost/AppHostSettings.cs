namespace JobScheduler.AppHost;

/// <summary>The app host's own settings and the names of what it starts (docs/aspire.md).</summary>
internal static class AppHostSettings
{
    /// <summary>
    /// The connection string the cluster runs on, <c>ConnectionStrings:postgres</c> in the app host's configuration.
    /// Unset: one embedded server on SQLite instead of the cluster.
    /// </summary>
    public const string PostgresName = "postgres";

    /// <summary><c>JobScheduler:ApiPort</c>: where the REST API answers on localhost; default 5080, as for the plain server.</summary>
    public const string ApiPortKey = "JobScheduler:ApiPort";

    public const int DefaultApiPort = 5080;

    /// <summary>
    /// <c>JobScheduler:Sqlite:Path</c>: the embedded server's SQLite file, made absolute from the app host's working
    /// directory. Unset: the server's default, <c>data/jobscheduler.db</c> under src/JobScheduler.Server.
    /// </summary>
    public const string SqlitePathKey = "JobScheduler:Sqlite:Path";

    /// <summary>How many silo processes the cluster has.</summary>
    public const int SiloCount = 3;
}
