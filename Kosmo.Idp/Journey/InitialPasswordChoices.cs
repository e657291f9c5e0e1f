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
/// (offering the roster's address), and links mailed earlier stop working. The birthdate and the
/// terms stay done: they reveal and hand over nothing.
/// </summary>
public static class InitialPasswordChoices
{
    public static bool AreUnproven(Member member) => member.PasswordMustChange && !member.HasSecondFactor;

    /// <summary>Forgets the address and method (saved by the caller's SaveChanges; the links' deletion at once).</summary>
    public static async Task ForgetAtSignInAsync(KosmoDbContext db, AuditLog audit, Member member, CancellationToken cancellationToken)
    {
        if (!AreUnproven(member))
        {
            return;
        }

        var cancelledLinks = await Email.EmailVerificationService.DeletePendingAsync(db, member.Id, cancellationToken);
        if (member.EmailVerifiedAt is null && member.OtpMethod is null && cancelledLinks == 0)
        {
            return;
        }

        audit.Record(AuditKinds.InitialPasswordChoicesForgotten, member.Id,
            $"new sign-in with the initial password: address {(member.EmailVerifiedAt is null ? "not verified" : "to verify again")}, "
            + $"method {(member.OtpMethod is null ? "not chosen" : "to choose again")}, {cancelledLinks} mailed link(s) cancelled");
        member.Email = null;
        member.EmailVerifiedAt = null;
        member.OtpMethod = null;
    }
}
