namespace JobScheduler.Core.Auth;

/// <summary>What a user may do (SPEC §10). Stored as its lower-case name.</summary>
public enum UserRole
{
    /// <summary>Reads their own jobs, DAGs, executions and runs; changes nothing.</summary>
    Viewer = 0,

    /// <summary>Creates and manages their own jobs and DAGs (including <c>command</c> actions), triggers and cancels.</summary>
    Operator = 1,

    /// <summary>Everything: every user's resources, users, nodes and drain.</summary>
    Admin = 2,
}
