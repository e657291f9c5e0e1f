using Kosmo.Idp.Journey.Account;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey.Confirm;

/// <summary>
/// Changes to how a member signs in (authenticators, codes by mail, recovery codes) and to the
/// address their notices go to need a sign-in from the last few minutes: a session left open on
/// a shared PC must not let someone else add their own authenticator and keep coming back.
/// Older sessions are sent to the confirmation page first (password, then the member's code).
/// </summary>
public sealed class RecentSignIn(IOptions<AccountOptions> options, TimeProvider time)
{
    /// <summary>The window in whole minutes, as the page tells the member (at least 1).</summary>
    public int Minutes => Math.Max(1, (int)Math.Round(options.Value.RecentSignIn.TotalMinutes));

    public bool Holds(MemberSession session) =>
        time.GetUtcNow() - session.AuthenticatedAt <= options.Value.RecentSignIn;

    /// <summary>The password was typed again on the confirmation page within the window: its code may follow.</summary>
    public bool IsConfirming(MemberSession session) =>
        session.PasswordRetypedAt is { } retyped && time.GetUtcNow() - retyped <= options.Value.RecentSignIn;

    /// <summary>The confirmation page, which returns to <paramref name="returnUrl"/> (a local URL) once both factors were typed.</summary>
    public static string ConfirmUrl(string returnUrl) => MemberJourney.UrlOf(JourneyStep.ConfirmIdentity, returnUrl);
}
