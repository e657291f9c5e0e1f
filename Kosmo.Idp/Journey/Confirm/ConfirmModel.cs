using Kosmo.Idp.Journey.Password;
using Kosmo.Idp.Localization;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.Confirm;

/// <summary>
/// 本人確認: the password again, then the member's one-time password (the journey's own code page,
/// which serves a session that is confirming), then back to the change the member was making. The
/// session's sign-in time becomes the code's.
/// </summary>
[ThrottlePostsByAddress]
public sealed class ConfirmModel(
    KosmoDbContext db, MemberJourney journey, RecentSignIn recentSignIn, PasswordRecheck passwords, AuditLog audit,
    TimeProvider time, IStringLocalizer<Strings> text) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.ConfirmIdentity;

    /// <summary>Also before the account page's changes, which a finished member asks for.</summary>
    protected override bool ServesFinishedMembers(MemberSession session) => true;

    [BindProperty]
    public string? Password { get; set; }

    public string UserId => Member.UserId;

    public string DisplayName => Member.DisplayName ?? Member.UserId;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await EnterAsync(cancellationToken) ?? AlreadyRecent() ?? Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if ((await EnterAsync(cancellationToken) ?? AlreadyRecent()) is { } elsewhere)
        {
            return elsewhere;
        }

        if (string.IsNullOrEmpty(Password))
        {
            ModelState.AddModelError(nameof(Password), text["Login.PasswordRequired"]);
            return Page();
        }

        if (await passwords.RefusalAsync(Member, Password, "Confirm.Wrong", "confirming before an account change", cancellationToken) is { } refusal)
        {
            ModelState.AddModelError(nameof(Password), refusal);
            return Page();
        }

        audit.Record(AuditKinds.SignInSucceeded, Member.Id, "confirming before an account change");
        await Db.SaveChangesAsync(cancellationToken);

        Session = Session.ConfirmingAgain(time.GetUtcNow());
        await Session.SignInAsync(HttpContext);
        return LocalRedirect(MemberJourney.UrlOf(JourneyStep.OtpChallenge, ReturnUrl));
    }

    /// <summary>A sign-in recent enough already (a second tab, the back button) goes on without a new code.</summary>
    private IActionResult? AlreadyRecent() => recentSignIn.Holds(Session) ? Continue() : null;
}
