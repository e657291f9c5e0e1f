using System.ComponentModel.DataAnnotations;
using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Kosmo.Idp.Shared;

namespace Kosmo.Idp.Journey.Password;

[ThrottlePostsByAddress]
public sealed class LoginModel(
    KosmoDbContext db, PasswordHashing hashing, SignInLockout lockout, MemberJourney journey, AuditLog audit,
    TimeProvider time, Operations.Telemetry.KosmoMetrics metrics, IStringLocalizer<Strings> text, ILogger<LoginModel> logger,
    Protocol.SessionTermination sessions) : PageModel, IReturnsToAnApp
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>The longest password the login field takes, as typed (UTF-16 units): no new password may be longer.</summary>
    public const int MaxPasswordLength = 256;

    [BindProperty, Required(ErrorMessage = "Login.UserIdRequired"), MaxLength(64, ErrorMessage = "Login.UserIdTooLong")]
    public string UserId { get; set; } = "";

    [BindProperty, Required(ErrorMessage = "Login.PasswordRequired"), MaxLength(MaxPasswordLength, ErrorMessage = "Login.PasswordTooLong")]
    public string Password { get; set; } = "";

    public string? Error { get; private set; }

    /// <summary>The user ID and password did not match (not a lock): the fields themselves are marked invalid.</summary>
    public bool CredentialsWrong { get; private set; }

    /// <summary>
    /// This browser still sends a session cookie that no longer signs anyone in: it ran out after
    /// Session:IdleTimeout without a request (or the 12-hour limit). Said on the page, so a member
    /// back from a break knows why the login page is in front of them again.
    /// </summary>
    public bool SessionEnded { get; private set; }

    public void OnGet()
    {
        SessionEnded = User.Identity?.IsAuthenticated != true && MemberSession.CookieSent(HttpContext);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var normalized = Member.Normalize(UserId);
        if (normalized.Length > Operations.Roster.RosterRowValidation.MaxUserIdLength)
        {
            // Compatibility characters can grow under normalization (one ligature to eighteen
            // letters): no member has such an ID, and it would not fit the lockout's key. The same
            // answer, and the same hash's worth of time, as any wrong user ID.
            hashing.Check(null, Password);
            audit.Record(AuditKinds.SignInFailed, null, "unknown user ID");
            await db.SaveChangesAsync(cancellationToken);
            Error = text["Login.Wrong"];
            CredentialsWrong = true;
            return Page();
        }

        // One attempt at a time per user ID, so that guesses sent in parallel are counted like any others.
        var answer = await OneAtATime.RunAsync(db, normalized, () => AttemptAsync(normalized, cancellationToken), cancellationToken);
        if (Replaced is { } replaced)
        {
            // Once this sign-in is committed, in a transaction of its own: the session it replaced in this
            // browser (another member's, at a shared PC) ends with its apps, as a sign-out would.
            await sessions.EndReplacedAsync(replaced);
        }

        return answer;
    }

    /// <summary>Another member's live session this browser held, which this post's sign-in replaced.</summary>
    private MemberSession? Replaced { get; set; }

    private async Task<IActionResult> AttemptAsync(string normalized, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var throttle = await db.SignInThrottles.FindAsync([normalized], cancellationToken);
        if (SignInLockout.RemainingLock(throttle, now) is { } remaining)
        {
            logger.LogWarning("Sign-in refused: user ID locked for {Minutes} more minute(s)", Wait.WholeMinutes(remaining));
            metrics.SignInRefusedWhileLockedOut();
            Error = LockedMessage(remaining);
            return Page();
        }

        var member = await db.Members.FirstOrDefaultAsync(m => m.NormalizedUserId == normalized, cancellationToken);
        var check = await hashing.CheckSignInAsync(member, Password, cancellationToken);
        if (member is null || check == PasswordCheck.Wrong)
        {
            throttle ??= db.SignInThrottles.Add(new SignInThrottle { NormalizedUserId = normalized }).Entity;
            lockout.RecordFailure(throttle, now);
            var locked = SignInLockout.RemainingLock(throttle, now);
            // Typed user IDs are not stored for unknown members: people sometimes type a password there.
            audit.Record(locked is null ? AuditKinds.SignInFailed : AuditKinds.SignInLockedOut, member?.Id, $"failure {throttle.FailedCount}");
            await db.SaveChangesAsync(cancellationToken);
            Error = locked is { } lockedFor ? LockedMessage(lockedFor) : text["Login.Wrong"];
            CredentialsWrong = locked is null;
            return Page();
        }

        if (member.IsLocked)
        {
            audit.Record(AuditKinds.SignInRefusedLocked, member.Id, member.LockReason?.ToString());
            await db.SaveChangesAsync(cancellationToken);
            Error = text["Login.AccountLocked"];
            return Page();
        }

        if (check == PasswordCheck.CorrectButOutdated)
        {
            member.PasswordHash = hashing.Hash(Password);
            logger.LogInformation("Password hash of member {MemberId} upgraded to current parameters", member.Id);
        }

        if (throttle is not null)
        {
            db.SignInThrottles.Remove(throttle);
        }

        member.PreviousSignInAt = member.LastSignInAt;
        member.LastSignInAt = now;
        var addressAgain = await InitialPasswordChoices.ForgetAtSignInAsync(db, audit, member, cancellationToken);
        var appKeyReplaced = await Otp.TotpAuthenticator.ForgetUnfinishedSetupsAsync(db, member.Id, now, cancellationToken) > 0;

        audit.Record(AuditKinds.SignInSucceeded, member.Id, member.PasswordMustChange ? "initial password" : null);
        await db.SaveChangesAsync(cancellationToken);
        var earlier = await MemberSession.LiveInBrowserAsync(HttpContext, db, now);
        var session = MemberSession.AfterPassword(member, now, earlier?.MemberId == member.Id ? earlier.Id : null);
        await session.SignInAsync(HttpContext);
        Replaced = earlier?.MemberId == member.Id ? null : earlier;
        ForgottenAtSignIn.Remember(HttpContext, member.Id, addressAgain, appKeyReplaced);
        return LocalRedirect(MemberJourney.UrlOf(journey.Next(member, session), ReturnUrl));
    }

    private string LockedMessage(TimeSpan remaining) => text["Login.TemporarilyLocked", Wait.WholeMinutes(remaining)];
}
