namespace Kosmo.Idp.Operations.Roster;

/// <summary>What the operator asked `members import` to do.</summary>
public sealed record RosterImportRequest(string FilePath)
{
    /// <summary>Load the valid lines even though others were rejected.</summary>
    public bool ApplyValid { get; init; }

    /// <summary>Check the file and count what would change, writing nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary><see cref="RosterFile.Utf8"/> or <see cref="RosterFile.ShiftJis"/>; null to detect.</summary>
    public string? Encoding { get; init; }

    /// <summary>Where the credentials notice goes; null for a timestamped file in the current directory.</summary>
    public string? NoticesPath { get; init; }
}

public sealed record RosterImportResult(
    int ExitCode, bool Applied, int Created, int Updated, int Unchanged, int Rejected, int NotInFile, int RandomPasswords, string? NoticePath)
{
    public static RosterImportResult Failed() => new(RosterImportExit.Failed, false, 0, 0, 0, 0, 0, 0, null);
}

/// <summary>Exit codes of `members import`, beyond the 2 (bad usage) every command shares.</summary>
public static class RosterImportExit
{
    public const int Success = 0;

    /// <summary>Nothing was written: the file could not be read, lines were rejected, or the database failed.</summary>
    public const int Failed = 1;

    /// <summary>
    /// With --apply-valid: the valid lines were loaded but some were rejected. Not 0, so that a
    /// script running the import does not take a partial load for a complete one.
    /// </summary>
    public const int AppliedWithRejections = 3;
}
