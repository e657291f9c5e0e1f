using System.Net;
using System.Text.RegularExpressions;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>The mailed one-time-password step, as a member with a mailbox does it.</summary>
public static partial class OtpMail
{
    public static string CodeIn(CaughtMail mail)
    {
        var match = CodeLine().Match(mail.Text);
        Assert.That(match.Success, "the mail has the code on a line of its own: " + mail.Text);
        return match.Groups[1].Value;
    }

    public static string LatestCode(KosmoFactory factory, string email) =>
        CodeIn(factory.Mail.To(email).Last(m => m.Subject.Contains("ワンタイムパスワード", StringComparison.Ordinal)));

    /// <summary>Opens the OTP page the redirect leads to (which mails the code), types the code from the mail and submits.</summary>
    public static async Task<HttpResponseMessage> CompleteAsync(KosmoFactory factory, HttpClient browser, HttpResponseMessage redirectToOtp, string email)
    {
        Assert.That(redirectToOtp.Headers.Location?.OriginalString, Does.StartWith("/journey/otp"), "expected the one-time-password step");
        var page = await browser.GetAsync(redirectToOtp.Headers.Location);
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = LatestCode(factory, email) }, "#otp-form");
    }

    [GeneratedRegex(@"^(\d{6})\s*$", RegexOptions.Multiline)]
    private static partial Regex CodeLine();
}
