using Kosmo.Idp.Members;

namespace Kosmo.Idp.Journey.Recovery;

/// <summary>
/// A new set of recovery codes asked for on one device (the account page, or a sign-in with one of
/// the last codes) is shown there, not on the member's other devices: each of those would issue a
/// set of its own, killing the one being copied down on the first, and each would answer the other.
/// A sign-in made after the ask is shown it too, as the first set was: the asking session may have
/// ended before its set was kept.
/// </summary>
public static class AskedRecoveryCodes
{
    // Kept on the member as the session's stamp, not its id: no session id in the clear.
    private const string Purpose = "recovery-codes-asked";

    public static void Ask(Member member, MemberSession session, DateTimeOffset now)
    {
        member.RecoveryCodesSavedAt = null;
        member.RecoveryCodesAskedBy = session.StampOf(Purpose);
        member.RecoveryCodesAskedAt = now;
    }

    /// <summary>The set on screen was kept, or the factors it belonged to are gone: nobody waits for one.</summary>
    public static void Forget(Member member)
    {
        member.RecoveryCodesAskedBy = null;
        member.RecoveryCodesAskedAt = null;
    }

    /// <summary>Whether the set asked for, if any, is <paramref name="session"/>'s to be shown.</summary>
    public static bool AreFor(Member member, MemberSession session) =>
        member.RecoveryCodesAskedBy is null
        || member.RecoveryCodesAskedBy == session.StampOf(Purpose)
        || (session.SignedInAt ?? session.AuthenticatedAt) > member.RecoveryCodesAskedAt;
}
