using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;

namespace Kosmo.Idp.Journey;

/// <summary>
/// The mail address and the method chosen in a sign-in with the initial password are kept only by
/// that sign-in going on to set the member's own password. The initial password is 記号+番号+生年月日,
/// which anyone holding the insurance card can work out: without this, a family member or colleague
/// who signed in first could verify their own mailbox and choose mail codes, and the member, signing
/// in later, would go straight to the new password and then receive (or not) codes sent to that
/// mailbox, with no page showing the address. So each sign-in with a password still to be replaced,
/// by a member who has never passed a second factor, asks for the address and the method again
/// (offering the roster's address), links mailed earlier stop working, and every other session of
/// the member ends: one left open could otherwise verify its mailbox again while the member is on
/// the email page. The birthdate and the terms stay done: they reveal and hand over nothing.
/// </summary>
public static class InitialPasswordChoices
{
    public static bool AreUnproven(Member member) => member.PasswordMustChange && !member.HasSecondFactor;

    /// <summary>
    /// Forgets the address and method and ends the other sessions (saved by the caller's
    /// SaveChanges; the links' deletion at once). Call before the new session is made: it takes the
    /// new session version.
    /// </summary>
    /// <returns>Whether anything the member may have done was put away: an address, a method or a mailed link.</returns>
    public static async Task<bool> ForgetAtSignInAsync(KosmoDbContext db, AuditLog audit, Member member, CancellationToken cancellationToken)
    {
        if (!AreUnproven(member))
        {
            return false;
        }

        // Nothing else to end: without a second factor no app was given a token.
        member.SessionVersion++;
        var cancelledLinks = await Email.EmailVerificationService.DeletePendingAsync(db, member.Id, cancellationToken);
        if (member.EmailVerifiedAt is null && member.OtpMethod is null && cancelledLinks == 0)
        {
            return false;
        }

        audit.Record(AuditKinds.InitialPasswordChoicesForgotten, member.Id,
            $"new sign-in with the initial password: address {(member.EmailVerifiedAt is null ? "not verified" : "to verify again")}, "
            + $"method {(member.OtpMethod is null ? "not chosen" : "to choose again")}, {cancelledLinks} mailed link(s) cancelled");
        member.Email = null;
        member.EmailVerifiedAt = null;
        member.OtpMethod = null;
        return true;
    }
}
