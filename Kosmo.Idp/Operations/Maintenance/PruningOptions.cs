using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Operations.Maintenance;

public sealed class PruningOptions
{
    public const string Section = "Pruning";

    public bool Enabled { get; set; } = true;

    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows are removed only this long after they stopped mattering, so a support question about yesterday can still be answered.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "90.00:00:00")]
    public TimeSpan MinimumAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Rows deleted per statement: small enough not to hold long locks on a busy table.</summary>
    [Range(100, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// Audit events older than this are deleted; empty keeps them for ever. At least 30 days: a
    /// mistyped value must not wipe the audit trail, and the hourly mail limits count from it.
    /// </summary>
    [Range(typeof(TimeSpan), "30.00:00:00", "36500.00:00:00")]
    public TimeSpan? AuditRetention { get; set; }
}
