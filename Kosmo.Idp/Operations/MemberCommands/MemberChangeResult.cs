namespace Kosmo.Idp.Operations.MemberCommands;

public enum MemberChangeOutcome
{
    Changed,

    /// <summary>The member was already in the wanted state: nothing written, audited or mailed.</summary>
    NothingToDo,

    UnknownMember,

    /// <summary>The change cannot be made for this member; nothing was written.</summary>
    Refused,
}

/// <summary>What an operator command did, in the words the CLI prints.</summary>
public sealed record MemberChangeResult(MemberChangeOutcome Outcome, string Summary)
{
    /// <summary>Each thing that was changed, one line each.</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    /// <summary>Set when the change was made but the member could not be mailed about it.</summary>
    public string? MailWarning { get; init; }

    public int ExitCode => Outcome is MemberChangeOutcome.Changed or MemberChangeOutcome.NothingToDo ? 0 : 1;

    public static MemberChangeResult Unknown(string userId) =>
        new(MemberChangeOutcome.UnknownMember, $"No member with user ID '{userId}'.");
}
