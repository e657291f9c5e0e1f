namespace Kosmo.Idp.Operations.MemberCommands;

/// <summary>Who made an operator's change and why, kept in its audit event.</summary>
public sealed record OperatorNote(string Operator, string? Reason)
{
    public const int MaximumReasonLength = 200;

    /// <summary>Names the operator where the account running the command cannot (`kubectl exec` runs every command as the image's `app`).</summary>
    public const string OperatorVariable = "KOSMO_OPERATOR";

    /// <summary>
    /// The operating-system account running the command (the CLI has no login of its own), and the
    /// name in <see cref="OperatorVariable"/> when set: "tanaka (as app)".
    /// </summary>
    public static OperatorNote ForCurrentUser(string? reason)
    {
        // The operator's own claim, kept to one short line of printable text.
        var named = new string((Environment.GetEnvironmentVariable(OperatorVariable) ?? "").Where(c => !char.IsControl(c)).ToArray()).Trim();
        var who = string.IsNullOrEmpty(named) ? Environment.UserName : $"{named[..Math.Min(named.Length, 64)]} (as {Environment.UserName})";
        return new(who, string.IsNullOrWhiteSpace(reason) ? null : reason.Trim());
    }

    public override string ToString() => Reason is null ? $"by {Operator}" : $"by {Operator}, reason: {Reason}";
}
