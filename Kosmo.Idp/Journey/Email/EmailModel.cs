using Kosmo.Idp.Localization;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.Email;

/// <summary>
/// Manual p.2-3 [5]-[7]: the member enters an address, opens the mailed link (here or on the
/// phone) and this page moves on: by itself while it is open, or when 更新 is pressed.
/// </summary>
public sealed class EmailModel(
    KosmoDbContext db, MemberJourney journey, EmailVerificationService verifications,
    TimeProvider time, IStringLocalizer<Strings> text) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.VerifyEmail;

    [BindProperty]
    public string? Email { get; set; }

    /// <summary>Show the address form even though a link is out (the member wants another address).</summary>
    [BindProperty(SupportsGet = true)]
    public bool Change { get; set; }

    public string? SentTo { get; private set; }

    public bool LinkExpired { get; private set; }

    public string? Error { get; private set; }

    /// <summary>This sign-in put away an address (or link) of an earlier one, before the new password (ForgottenAtSignIn).</summary>
    public bool AskedAgain => ForgottenAtSignIn.AddressIsAskedAgain(HttpContext, Member.Id);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        await ShowAsync(cancellationToken);
        return Page();
    }

    public const string PagePath = "/journey/email";

    public const string StatusHandler = "Status";

    /// <summary>Polled by the waiting page: true once the member's next step is no longer this one. It does not keep the session alive.</summary>
    public async Task<IActionResult> OnGetStatusAsync(CancellationToken cancellationToken) =>
        new JsonResult(new { moveOn = await EnterAsync(cancellationToken) is not null });

    /// <summary>Set when this form came back (the browser's Back, a tab left open) after another address was confirmed: where the journey goes on.</summary>
    public string? AlreadyConfirmedContinueUrl { get; private set; }

    /// <summary>The confirmed address, masked, for <see cref="AlreadyConfirmedContinueUrl"/>.</summary>
    public string? ConfirmedAddress { get; private set; }

    public async Task<IActionResult> OnPostSendAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            // Another address from a page left behind once one was confirmed: it changes nothing, and
            // the member learns which address counts, instead of finding the typed one silently dropped.
            if (EmailAddressInput.Normalize(Email) is { } typed && await OnwardFromStaleFormAsync(elsewhere, cancellationToken) is { } next
                && Member is { EmailVerifiedAt: not null, Email: { } confirmed } && !string.Equals(typed, confirmed, StringComparison.OrdinalIgnoreCase))
            {
                AlreadyConfirmedContinueUrl = next;
                ConfirmedAddress = EmailVerificationService.Mask(confirmed);
                return Page();
            }

            return elsewhere;
        }

        if (EmailAddressInput.Normalize(Email) is not { } address)
        {
            ModelState.AddModelError(nameof(Email), text[string.IsNullOrWhiteSpace(Email) ? "Email.Required" : "Email.Invalid"]);
            Change = true;
            return Page();
        }

        return await SendAsync(address, cancellationToken);
    }

    public async Task<IActionResult> OnPostResendAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        var latest = await verifications.LatestAsync(Member.Id, cancellationToken);
        if (latest is null)
        {
            return RedirectToPage(new { ReturnUrl });
        }

        return await SendAsync(latest.Email, cancellationToken);
    }

    private async Task<IActionResult> SendAsync(string address, CancellationToken cancellationToken)
    {
        var outcome = await verifications.SendAsync(Member, address, cancellationToken);
        if (outcome.Status == SendStatus.Sent)
        {
            VerificationReturn.Remember(HttpContext, Member.Id, ReturnUrl, verifications.LinkLifetime);
            // Post/redirect/get: reloading the waiting page must not send another mail.
            return RedirectToPage(new { ReturnUrl });
        }

        Error = SendOutcomeText.For(outcome, text);
        Email = address;
        await ShowAsync(cancellationToken);
        // A failed first send keeps the typed address in the form, ready to retry.
        Change = SentTo is null || SentTo != address;
        return Page();
    }

    private async Task ShowAsync(CancellationToken cancellationToken)
    {
        var latest = await verifications.LatestAsync(Member.Id, cancellationToken);
        SentTo = latest?.Email;
        LinkExpired = latest is not null && latest.ExpiresAt <= time.GetUtcNow();
        Email ??= latest?.Email ?? Member.RosterEmail;
    }
}
