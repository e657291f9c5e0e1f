using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Journey;

/// <summary>
/// The mail address and the method chosen in a sign-in with the initial password are kept only by
/// that sign-in going on to set the member's own password. The initial password is 記号+番号+生年月日,
/// which anyone holding the insurance card can work out: without this, a family member or colleague
/// who signed in first could verify their own mailbox and choose mail codes, and the member, signing
/// in later, would go straight to the new password and then receive (or not) codes sent to that
/// mailbox, with no page showing the address. So each sign-in with a password still to be replaced,
/// by a member with no second factor, asks for the address and the method again
/// (offering the roster's address), links mailed earlier stop working, and every other session of
/// the member ends: one left open could otherwise verify its mailbox again while the member is on
/// the email page. The birthdate and the terms stay done: they reveal and hand over nothing.
/// </summary>
public static class InitialPasswordChoices
{
    public static bool AreUnproven(Member member) => member.PasswordMustChange && !member.HasSecondFactor;

    /// <summary>
    /// Forgets the address verified and the method chosen since the initial password was issued,
    /// and ends the other sessions (saved by the caller's SaveChanges; the links' deletion at once).
    /// An address verified before an operator's reset-password (with reset-mfa, the member has no
    /// second factor either) is the member's own and stays: the codes and notices keep going to it.
    /// Call before the new session is made: it takes the new session version.
    /// </summary>
    /// <returns>Whether the email page has something to explain: an address or a mailed link put away.</returns>
    public static async Task<bool> ForgetAtSignInAsync(KosmoDbContext db, AuditLog audit, Member member, CancellationToken cancellationToken)
    {
        if (!AreUnproven(member))
        {
            return false;
        }

        // Nothing else to end: without a second factor no app was given a token.
        await MemberRowLock.RaiseSessionVersionAsync(db, member, cancellationToken);
        var cancelledLinks = await Email.EmailVerificationService.DeletePendingAsync(db, member.Id, cancellationToken);
        // The initial password is the roster's from the start, or again since the operator's last reset.
        var issuedAt = await db.AuditEvents.Where(a => a.MemberId == member.Id && a.Kind == AuditKinds.PasswordReset)
            .MaxAsync(a => (DateTimeOffset?)a.OccurredAt, cancellationToken);
        var address = member.EmailVerifiedAt is { } verified && (issuedAt is null || verified >= issuedAt);
        if (!address && member.OtpMethod is null && cancelledLinks == 0)
        {
            return false;
        }

        audit.Record(AuditKinds.InitialPasswordChoicesForgotten, member.Id,
            $"new sign-in with the initial password: address {(address ? "to verify again" : member.EmailVerifiedAt is null ? "not verified" : "kept (verified before the reset)")}, "
            + $"method {(member.OtpMethod is null ? "not chosen" : "to choose again")}, {cancelledLinks} mailed link(s) cancelled");
        if (address)
        {
            member.Email = null;
            member.EmailVerifiedAt = null;
        }

        member.OtpMethod = null;
        return address || cancelledLinks > 0;
    }
}
