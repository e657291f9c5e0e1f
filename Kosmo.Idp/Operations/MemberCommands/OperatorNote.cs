namespace Kosmo.Idp.Operations.MemberCommands;

/// <summary>Who made an operator's change and why, kept in its audit event.</summary>
public sealed record OperatorNote(string Operator, string? Reason)
{
    public const int MaximumReasonLength = 200;

    /// <summary>The operating-system account running the command: the CLI has no login of its own.</summary>
    public static OperatorNote ForCurrentUser(string? reason) =>
        new(Environment.UserName, string.IsNullOrWhiteSpace(reason) ? null : reason.Trim());

    public override string ToString() => Reason is null ? $"by {Operator}" : $"by {Operator}, reason: {Reason}";
}
