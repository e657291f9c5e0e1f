using System.Globalization;
using Kosmo.Idp.Journey.Otp;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey.Recovery;

/// <summary>
/// Ten recovery codes, shown once: only their hashes are kept. So that a reload (or a phone
/// restoring the tab, hours later) does not silently replace the set the member is copying down,
/// the set just shown is kept in a cookie only this provider can read, for as long as a sign-in
/// lasts, and shown again while it is still the member's current, unused set and not yet saved,
/// even once the journey no longer asks for this step. A new set that replaces one with unused
/// codes says that the old codes no longer work.
/// </summary>
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
public sealed class RecoveryCodesModel(
    KosmoDbContext db, MemberJourney journey, RecoveryCodes codes, AuditLog audit, TimeProvider time,
    IOptions<MemberSessionOptions> sessions, Confirm.RecentSignIn recentSignIn, Mail.Notices.MemberNotices notices)
    : JourneyPageModel(db, journey)
{
    private static readonly MemberBoundCookie Cookie =
        new("kosmo_recovery_codes", "/journey/recovery-codes", SameSiteMode.Strict, "Kosmo.Idp.Journey.Recovery.ShownCodes");

    protected override JourneyStep Step => JourneyStep.SaveRecoveryCodes;

    public IReadOnlyList<string> Codes { get; private set; } = [];

    /// <summary>The set this page showed was replaced on another device, which kept the newer set: nothing to copy here.</summary>
    public bool KeptElsewhere { get; private set; }

    /// <summary>
    /// The set this page showed was replaced by one asked for on another device, which has not kept it
    /// yet: nothing to copy here, nor to take as kept (that is the other device's to say).
    /// </summary>
    public bool ReplacedElsewhere { get; private set; }

    /// <summary>Where the page's link goes on to, after <see cref="ReplacedElsewhere"/>.</summary>
    public string ContinueUrl => ReturnUrl is { } url && Url.IsLocalUrl(url) ? url : "/";

    /// <summary>This set replaces one that still had unused codes (never marked as kept, asked for anew, or running out).</summary>
    public bool ReplacesEarlierSet { get; private set; }

    private TimeSpan ShownFor => sessions.Value.ReauthenticateAfter;

    /// <summary>Which set the page shows, posted back by 保管しました: that set, and no other, is taken as kept.</summary>
    [BindProperty]
    public string? SetStamp { get; set; }

    /// <summary>Opened by another site: a set is issued only once the member presses the button.</summary>
    public bool AwaitingRequest { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await EnterAsync(cancellationToken, alsoServes: JourneyStep.Done) as IActionResult
        // Issuing kills the set the member holds. Another site could open this page in a window the member
        // never reads (and without the cookie of the set on screen, which is strict): it gets a button.
        ?? await ShowAsync(issueAtOnce: !RequestOrigin.IsOpenedByAnotherSite(Request), cancellationToken);

    public async Task<IActionResult> OnPostShowAsync(CancellationToken cancellationToken) =>
        await EnterAsync(cancellationToken, alsoServes: JourneyStep.Done) as IActionResult
        ?? await ShowAsync(issueAtOnce: true, cancellationToken);

    private async Task<IActionResult> ShowAsync(bool issueAtOnce, CancellationToken cancellationToken)
    {
        var shown = ShownBefore();
        if (shown is not null && Member.RecoveryCodesSavedAt is null && await codes.AreCurrentAsync(Member.Id, shown, cancellationToken))
        {
            // Live codes, on a PC that may have been left signed in: shown again only to whoever
            // confirms being the member, as issuing them required.
            if (!recentSignIn.Holds(Session))
            {
                // Once confirmed, the journey asks for this step again (the set is not kept), then goes on.
                return LocalRedirect(Confirm.RecentSignIn.ConfirmUrl(ReturnUrl ?? "/"));
            }

            Codes = shown;
            await CarryCurrentSetAsync(cancellationToken);
            return Page();
        }

        // Only the set being copied down is shown again outside the journey; a new one is issued
        // only where the journey asks for it (the account page issues its own).
        if (NextStep != Step)
        {
            return Continue();
        }

        if (!issueAtOnce)
        {
            AwaitingRequest = true;
            return Page();
        }

        // Under the locks an operator's reset of the second factor also takes: a set issued while the
        // reset runs would otherwise outlive the factors it is a way past.
        await using var transaction = await SecondFactorChange.BeginAsync(Db, Member, cancellationToken);
        if (NextStep != Step)
        {
            return Continue();
        }

        ReplacesEarlierSet = await codes.UnusedAsync(Member.Id, cancellationToken) > 0;
        var hadSet = await codes.HeldAsync(Member.Id, cancellationToken);
        Codes = await codes.IssueAsync(Member.Id, cancellationToken);
        audit.Record(AuditKinds.RecoveryCodesIssued, Member.Id, $"{Codes.Count} codes");
        await Db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await CarryCurrentSetAsync(cancellationToken);
        Remember(Codes);
        // Ten ways past the second factor, minted by whoever holds this session: the member hears of it
        // (even when the browser stops waiting for the page). Not when this session signed in with a
        // recovery code: that sign-in was announced, and a set running out is replaced after it.
        if (hadSet && Session.SecondFactor != AuthenticationMethods.ByRecoveryCode)
        {
            await notices.QueueAsync(Member, Mail.Notices.MemberNotice.RecoveryCodesReplaced);
        }
        else if (!hadSet && !CompletesEnrolment())
        {
            await notices.QueueAsync(Member, Mail.Notices.MemberNotice.RecoveryCodesIssued);
        }

        return Page();
    }

    /// <summary>
    /// The first set that comes right after the second factor was set up in this very sign-in (the
    /// first login, or again after an operator's reset) is part of enrolling, which the member is
    /// doing on this screen: the factor was set up after the password was typed (kept in whole
    /// seconds, rounded down). A cookie from before that time was kept: a minute's leeway.
    /// </summary>
    private bool CompletesEnrolment() =>
        new[] { Member.EmailOtpEnabledAt, Member.AppOtpEnabledAt }.Where(at => at is not null).Min() is { } enabledAt
        && enabledAt >= (Session.SignedInAt ?? Session.AuthenticatedAt - TimeSpan.FromMinutes(1));

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        // "Saved" counts even when the recent-sign-in window closed while the member copied the
        // codes (the journey then no longer asks for this step): otherwise the next fresh sign-in
        // would show a new set and kill the one just written down.
        if (await EnterAsync(cancellationToken, alsoServes: JourneyStep.Done) is { } elsewhere)
        {
            return elsewhere;
        }

        // The member's set is no longer the one this form showed (another device was shown a newer
        // one, or the form is an old one from the back button): the codes it showed must not be taken
        // as kept. While the newer set is not kept either, a set that works is shown instead (the GET
        // issues one and says the earlier codes are dead); once another device kept its set, this one
        // is told so, and no set is issued that would kill it.
        var stale = SetStamp is null
            // A page rendered before forms carried their set (a replica not yet upgraded): the set this browser was shown.
            ? ShownBefore() is { } shown && !await codes.AreCurrentAsync(Member.Id, shown, cancellationToken)
            : SetStamp != await codes.CurrentSetStampAsync(Member.Id, cancellationToken);
        if (stale)
        {
            ForgetShownSet(HttpContext);
            if (Member.RecoveryCodesSavedAt is null)
            {
                // The newer set is this session's to show (the GET issues a working one), or another device's.
                if (NextStep == Step)
                {
                    return LocalRedirect(MemberJourney.UrlOf(Step, ReturnUrl));
                }

                ReplacedElsewhere = true;
                return Page();
            }

            KeptElsewhere = true;
            // Its button goes on: it carries the set that was kept, which is the member's now.
            await CarryCurrentSetAsync(cancellationToken);
            return Page();
        }

        if (Member.RecoveryCodesSavedAt is null)
        {
            var now = time.GetUtcNow();
            Member.RecoveryCodesSavedAt = now;
            AskedRecoveryCodes.Forget(Member);
            Member.UpdatedAt = now;
            await Db.SaveChangesAsync(cancellationToken);
        }

        ForgetShownSet(HttpContext);
        return Continue();
    }

    /// <summary>The page's forms carry the member's current set (not a stamp a post brought in).</summary>
    private async Task CarryCurrentSetAsync(CancellationToken cancellationToken)
    {
        ModelState.Remove(nameof(SetStamp));
        SetStamp = await codes.CurrentSetStampAsync(Member.Id, cancellationToken);
    }

    /// <summary>The next visit issues a new set (the member saved this one, or asked for another).</summary>
    public static void ForgetShownSet(HttpContext context) => Cookie.Forget(context);

    private void Remember(IReadOnlyList<string> shown) =>
        Cookie.Write(HttpContext, Member.Id, string.Join('|', [time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), .. shown]), ShownFor);

    private IReadOnlyList<string>? ShownBefore()
    {
        if (Cookie.Read(HttpContext, Member.Id)?.Split('|') is not [var at, .. var shown]
            || !long.TryParse(at, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }

        return time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds) <= ShownFor ? shown : null;
    }
}
