namespace Kosmo.Idp.Journey;

/// <summary>
/// A provider session the member signed out of. Signing out deletes the cookie in this browser,
/// but a copy of it (another tab's request in flight, a stolen cookie) would still be a valid
/// sign-in until it expires; the cookie's session ID listed here is refused at once. Kept until
/// <see cref="MemberSessionOptions.ReauthenticateAfter"/> has passed, when the cookie would be refused anyway.
/// </summary>
public sealed class EndedSession
{
    public required string SessionId { get; set; }

    public Guid MemberId { get; set; }

    public DateTimeOffset EndedAt { get; set; }
}
