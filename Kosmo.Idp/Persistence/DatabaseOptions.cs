namespace Kosmo.Idp.Persistence;

/// <summary>
/// Where the data lives. A PostgreSQL connection string (ConnectionStrings:Kosmo) selects
/// PostgreSQL; without one an embedded SQLite file is used, so a fresh clone runs with nothing
/// installed.
/// </summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>SQLite file used when no PostgreSQL connection string is configured; relative to the content root.</summary>
    public string SqlitePath { get; set; } = "App_Data/kosmo.db";

    /// <summary>Apply pending migrations when the service starts. Production deploys turn this off and run `migrate`.</summary>
    public bool MigrateOnStart { get; set; } = true;
}
