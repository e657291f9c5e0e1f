namespace Kosmo.Idp.Operations.Roster;

/// <summary>How `members import` treats the society's roster.</summary>
public sealed class RosterOptions
{
    public const string Section = "Roster";

    /// <summary>
    /// Members who joined before this date keep the printed-manual rule password
    /// (記号+番号+生年月日); those who joined on or after it get a random one on a paper notice.
    /// </summary>
    public DateOnly RulePasswordJoinedBefore { get; set; } = new(2026, 3, 1);
}
