using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.Extensions.Localization;
using Kosmo.Idp.Shared;

namespace Kosmo.Idp.Journey;

/// <summary>
/// The password a signed-in member types again (the account page's current password, the
/// confirmation before an account change). It is the login's secret, so it counts against the
/// login's per-user-ID lockout, and a wrong one is audited as a failed sign-in.
/// </summary>
public sealed class PasswordRecheck(
    KosmoDbContext db, PasswordHashing hashing, AttemptThrottle throttle, AuditLog audit, IStringLocalizer<Strings> text,
    Operations.Telemetry.KosmoMetrics? metrics = null)
{
    /// <summary>
    /// Null when the password is right (the failure count starts again); otherwise the message for
    /// the field: <paramref name="wrongMessage"/>, or how long the user ID is locked.
    /// </summary>
    public Task<string?> RefusalAsync(Member member, string? password, string wrongMessage, string where, CancellationToken cancellationToken) =>
        throttle.OneAttemptAtATimeAsync(member.NormalizedUserId, () => CheckAsync(member, password, wrongMessage, where, cancellationToken), cancellationToken);

    private async Task<string?> CheckAsync(Member member, string? password, string wrongMessage, string where, CancellationToken cancellationToken)
    {
        // An empty field is a slip, not a guess: asked for, as on the login page, and not counted.
        if (string.IsNullOrEmpty(password))
        {
            return text["Login.PasswordRequired"];
        }

        // Longer than any password can be (the login page refuses it the same way): pasted by mistake, not a guess.
        if (password.Length > Password.LoginModel.MaxPasswordLength)
        {
            return text["Login.PasswordTooLong"];
        }

        if (await throttle.RemainingLockAsync(member.NormalizedUserId, cancellationToken) is { } locked)
        {
            // Counted as the login page counts it: the same lock, the same secret.
            metrics?.SignInRefusedWhileLockedOut();
            return Locked(locked);
        }

        if (hashing.Check(member, password ?? "") == PasswordCheck.Wrong)
        {
            var wait = await throttle.RecordFailureAsync(member.NormalizedUserId, cancellationToken);
            audit.Record(wait is null ? AuditKinds.SignInFailed : AuditKinds.SignInLockedOut, member.Id, where);
            await db.SaveChangesAsync(cancellationToken);
            return wait is { } lockedNow ? Locked(lockedNow) : text[wrongMessage];
        }

        await throttle.ClearAsync(member.NormalizedUserId, cancellationToken);
        return null;
    }

    // The member is signed in here: what stops is checking the password, on this page and at sign-in alike.
    private string Locked(TimeSpan remaining) => text["Password.RecheckLocked", Wait.WholeMinutes(remaining)];
}
