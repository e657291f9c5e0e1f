using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Operations;

public sealed class LogSecrecyTests
{
    [Test]
    public async Task AWholeCodeFlow_LeavesNoPasswordCodeTokenOrSecretInTheLog()
    {
        await using var factory = await KosmoFactory.StartAsync();
        const string password = "log-secret-password-9";
        await TestMembers.AddAsync(factory, "G0001", password);
        var app = TestRelyingApp.Portal(factory);
        var pkce = Pkce.Create();

        var loginPage = await app.Browser.GetAsync("/login");
        await HtmlForm.SubmitAsync(app.Browser, loginPage, new Dictionary<string, string> { ["UserId"] = "G0001", ["Password"] = "a-wrong-password-8" });
        var authorization = await app.SignInAsync("G0001", password, pkce);
        var tokens = await app.RedeemAsync(authorization.Code!, pkce.Verifier);
        var refreshed = await app.RefreshAsync(tokens.RefreshToken!);
        var service = await app.TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials" });

        var secrets = new[]
        {
            password, "a-wrong-password-8", authorization.Code!, pkce.Verifier, tokens.AccessToken!, tokens.RefreshToken!,
            tokens.IdToken!, refreshed.AccessToken!, refreshed.RefreshToken!, service.AccessToken!, KosmoFactory.PortalSecret,
        };
        var events = factory.Logs.Events;
        Assert.That(events, Is.Not.Empty, "the log was captured");
        Assert.That(events, Has.Some.Contains("/connect/token"), "one event per request was written");
        AssertNotLogged(events, secrets);
    }

    [Test]
    public async Task MailedCodes_AppKeys_RecoveryCodes_AndEmailLinks_NeverReachTheLog()
    {
        await using var factory = await KosmoFactory.StartAsync();
        const string password = "log-secret-password-7";
        await TestMembers.AddAsync(factory, "G0002", password);
        var browser = factory.Browser();

        var signedIn = await OtpMail.CompleteAsync(factory, browser, await LoginAsync(browser, "G0002", password), "g0002@example.jp");
        Assert.That(PathOf(signedIn), Is.EqualTo("/"));
        var mailedCode = OtpMail.LatestCode(factory, "g0002@example.jp");

        var key = await AuthenticatorApp.AddOnAccountPageAsync(browser, "ログ確認用", TimeProvider.System);

        var toCodes = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]");
        var codesPage = await FollowAsync(browser, toCodes);
        var recoveryCodes = await RecoveryCodesOnAsync(codesPage);
        Assert.That(recoveryCodes, Is.Not.Empty);
        Assert.That(PathOf(await HtmlForm.SubmitAsync(browser, codesPage, new Dictionary<string, string>())), Is.EqualTo("/account"), "codes kept");

        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "new-g0002@example.jp" }, "#change-email");
        var link = LinkIn(factory.Mail.To("new-g0002@example.jp").Single());
        // Opened, so that the token also passes through a request the request log records.
        var phone = factory.Browser();
        await HtmlForm.SubmitAsync(phone, await phone.GetAsync(link), new Dictionary<string, string>());

        var events = factory.Logs.Events;
        Assert.That(events, Has.Some.Contains("/journey/otp-setup/app").And.Some.Contains("/journey/recovery-codes").And.Some.Contains("/journey/email/verify"),
            "the requests that carried the values were logged");
        // The app shows its key in groups of four; a log could hold it either way.
        var groupedKey = string.Join(' ', key.Chunk(4).Select(group => new string(group)));
        AssertNotLogged(events, [key, groupedKey, link.Split("token=")[1], .. recoveryCodes]);
        // Six digits can turn up inside other numbers (durations, ports), so only the code standing alone counts as a leak.
        Assert.That(events.Where(e => Regex.IsMatch(e, $@"(?<!\d){mailedCode}(?!\d)")), Is.Empty, "the mailed code leaked");
    }

    private static void AssertNotLogged(IReadOnlyCollection<string> events, IEnumerable<string> secrets)
    {
        foreach (var secret in secrets)
        {
            Assert.That(events.Where(e => e.Contains(secret, StringComparison.Ordinal)), Is.Empty, $"a secret of length {secret.Length} leaked");
        }
    }
}
