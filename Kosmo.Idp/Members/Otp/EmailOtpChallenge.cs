namespace Kosmo.Idp.Members.Otp;

/// <summary>
/// The one mailed code a member may currently use. A resend replaces the code but keeps the
/// failure count and the window it belongs to, so resending never buys more guesses.
/// </summary>
public sealed class EmailOtpChallenge
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid MemberId { get; set; }

    /// <summary>SHA-256 of the challenge id and the code: the code itself is never stored.</summary>
    public required byte[] CodeHash { get; set; }

    public DateTimeOffset SentAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Start of the hour that failures and sends are counted in.</summary>
    public DateTimeOffset WindowStartedAt { get; set; }

    public int SendsInWindow { get; set; }

    public int Failures { get; set; }

    /// <summary>Too many wrong codes or mails in this hour: no code is mailed or accepted until it ends.</summary>
    public bool HoldsCodesBack(DateTimeOffset now, OtpOptions options) =>
        now - WindowStartedAt < TimeSpan.FromHours(1)
        && (Failures >= options.EmailMaximumFailures || SendsInWindow >= options.EmailMaximumSendsPerHour);
}
