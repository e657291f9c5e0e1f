using System.IdentityModel.Tokens.Jwt;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>
/// prompt=login and max_age, as docs/integrating-an-app.md promises them, and the session's own
/// limits (30 minutes idle, 12 hours in all): a member with a session on the provider is asked for
/// the password and the one-time password again. The clock is a fake, so a session can grow old
/// without waiting.
/// </summary>
public sealed class ReauthenticationTests
{
    private const string Password = "correct-horse-4";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync(services: s => s.AddSingleton<TimeProvider>(_clock));

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task PromptLogin_AsksAMemberWithALiveSession_ForThePasswordAndTheOneTimePasswordAgain()
    {
        var app = await SignedInAsync("K0004");
        Assert.That((await AuthorizeAsync(app)).Code, Is.Not.Null, "without prompt=login the live session answers at once");

        _clock.Advance(TimeSpan.FromMinutes(1));
        var idToken = await ReauthenticateAsync(app, "K0004", new Dictionary<string, string?> { ["prompt"] = "login" });
        Assert.That(AuthTimeOf(idToken), Is.EqualTo(_clock.GetUtcNow().ToUnixTimeSeconds()), "auth_time is this sign-in's");
    }

    [Test]
    public async Task PromptSelectAccount_ShowsTheLoginPage_WhereAnotherMemberCanSignIn()
    {
        var app = await SignedInAsync("K0012");
        await TestMembers.AddAsync(_factory, "K0013", Password);

        var idToken = await ReauthenticateAsync(app, "K0013", new Dictionary<string, string?> { ["prompt"] = "select_account" });

        var signedIn = await TestMembers.WithDbAsync(_factory, db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            db.Members, m => m.UserId == "K0013"));
        Assert.That(new JwtSecurityTokenHandler().ReadJwtToken(idToken).Subject, Is.EqualTo(signedIn.Id.ToString()), "the member who signed in there");
    }

    [Test]
    public async Task MaxAge_ASessionOlderThanIt_AsksToLogInAgain_AndAYoungerOneDoesNot()
    {
        var app = await SignedInAsync("K0005");
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That((await AuthorizeAsync(app, new Dictionary<string, string?> { ["max_age"] = "900" })).Code, Is.Not.Null,
            "a 10-minute-old session is young enough for max_age=900");

        var idToken = await ReauthenticateAsync(app, "K0005", new Dictionary<string, string?> { ["max_age"] = "300" });
        Assert.That(AuthTimeOf(idToken), Is.EqualTo(_clock.GetUtcNow().ToUnixTimeSeconds()), "auth_time is this sign-in's");
    }

    [TestCase("0")]
    [TestCase("1")]
    public async Task MaxAge_AnsweredByASignInJustMade_EvenWhenSecondsPassedOnTheWayBack(string maxAge)
    {
        var app = await SignedInAsync("K0009" + maxAge);
        _clock.Advance(TimeSpan.FromMinutes(1));

        // The member signs in as asked; by the time the browser is back at the authorization
        // request, the new session is already older than max_age.
        var idToken = await ReauthenticateAsync(app, "K0009" + maxAge, new Dictionary<string, string?> { ["max_age"] = maxAge },
            onTheWayBack: () => _clock.Advance(TimeSpan.FromSeconds(2.5)));

        Assert.That(AuthTimeOf(idToken), Is.EqualTo(_clock.GetUtcNow().AddSeconds(-2.5).ToUnixTimeSeconds()), "auth_time is this sign-in's");
    }

    [Test]
    public async Task MaxAge_AnsweredByASignInThatTookLong_AsAFirstLoginWaitingForMailsMay()
    {
        var app = await SignedInAsync("K0096");
        _clock.Advance(TimeSpan.FromMinutes(1));
        // The hour an app's handler waits for the answer (RemoteAuthenticationTimeout in docs/integrating-an-app.md).
        var idToken = await ReauthenticateAsync(app, "K0096", new Dictionary<string, string?> { ["max_age"] = "0" },
            onTheLoginPage: () => _clock.Advance(TimeSpan.FromMinutes(55)));
        Assert.That(AuthTimeOf(idToken), Is.EqualTo(_clock.GetUtcNow().ToUnixTimeSeconds()));
    }

    [Test]
    public async Task AnIdTokenHintNamingAnotherMember_IsNotAnsweredWithTheMemberSignedInHere()
    {
        // Member B's id_token, from B's own browser; member A is signed in on this one (a shared PC).
        var otherBrowser = TestRelyingApp.Portal(_factory);
        await TestMembers.AddAsync(_factory, "K0011", Password);
        var hintForB = (await otherBrowser.SignedInAsync("K0011", Password)).RawData;
        var app = await SignedInAsync("K0010");

        var silent = await AuthorizeAsync(app, new Dictionary<string, string?> { ["prompt"] = "none", ["id_token_hint"] = hintForB });
        Assert.That((silent.Code, silent.Error), Is.EqualTo(((string?)null, "login_required")), "not A's code for a request about B");

        var visible = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["id_token_hint"] = hintForB }));
        Assert.That(PathOf(visible), Is.EqualTo("/login"), "asked to sign in");

        var ownHint = (await otherBrowser.SignedInAsync("K0011", Password)).RawData;
        _clock.Advance(TimeSpan.FromMinutes(25));
        Assert.That((await AuthorizeAsync(otherBrowser, new Dictionary<string, string?> { ["prompt"] = "none", ["id_token_hint"] = ownHint })).Code,
            Is.Not.Null, "a hint naming the member signed in is answered silently, even once the id_token (20 minutes) has expired");

        var madeUp = await AuthorizeAsync(app, new Dictionary<string, string?> { ["prompt"] = "none", ["id_token_hint"] = "not-a-token" });
        Assert.That(madeUp.Error, Is.EqualTo("invalid_request"));
    }

    [Test]
    public async Task ASessionWithoutARequestForLongerThanThirtyMinutes_Ends_AndAnAppAskingSilentlyGetsLoginRequired()
    {
        var app = await SignedInAsync("K0006");
        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.That(PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "29 minutes without a request");
        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.That(PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "each request starts the 30 minutes again");

        _clock.Advance(TimeSpan.FromMinutes(31));
        Assert.That((await AuthorizeAsync(app, new Dictionary<string, string?> { ["prompt"] = "none" })).Parameters.GetValueOrDefault("error"), Is.EqualTo("login_required"));
        Assert.That(PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("/login"));
    }

    [Test]
    public async Task EvenABusySession_AsksForThePasswordAndCodeAgainAfterTwelveHours()
    {
        var app = await SignedInAsync("K0007");
        for (var step = 1; step < 36; step++)
        {
            _clock.Advance(TimeSpan.FromMinutes(20));
            Assert.That(PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), $"{step * 20} minutes after signing in");
        }

        _clock.Advance(TimeSpan.FromMinutes(21));
        Assert.That((await AuthorizeAsync(app, new Dictionary<string, string?> { ["prompt"] = "none" })).Parameters.GetValueOrDefault("error"), Is.EqualTo("login_required"));
        var idToken = await ReauthenticateAsync(app, "K0007", new Dictionary<string, string?>());
        Assert.That(AuthTimeOf(idToken), Is.EqualTo(_clock.GetUtcNow().ToUnixTimeSeconds()), "auth_time is the new sign-in's");
    }

    [TestCase("K0014", 1)]
    [TestCase("K0015", 31)]
    public async Task SigningOutAfterSigningInAgainInThisBrowser_EndsTheAppsOfTheEarlierSignInToo(string userId, int minutesLater)
    {
        await TestMembers.AddAsync(_factory, userId, Password);
        var app = TestRelyingApp.Portal(_factory);
        var earlier = await app.SignedInTokensAsync(userId, Password);
        // prompt=login a minute later, or a plain sign-in once the idle timeout has ended the session.
        _clock.Advance(TimeSpan.FromMinutes(minutesLater));
        var idToken = await ReauthenticateAsync(app, userId, minutesLater < 30 ? new Dictionary<string, string?> { ["prompt"] = "login" } : []);
        Assert.That(SessionOf(idToken), Is.EqualTo(SessionOf(earlier.IdToken!)), "one browser, one session");

        var signedOut = await app.Browser.GetAsync(TestRelyingApp.PortalEndSessionUrl(idToken));
        Assert.That(signedOut.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalPostLogout));
        Assert.That((await app.RefreshAsync(earlier.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "the earlier sign-in's refresh token ends too");
    }

    [Test]
    public async Task AfterTheIdleTimeout_TheLoginPageSaysWhyTheMemberIsBackThere()
    {
        await TestMembers.AddAsync(_factory, "K0094", Password);
        var app = TestRelyingApp.Portal(_factory);
        await app.SignedInAsync("K0094", Password);
        var firstVisit = await (await _factory.Browser().GetAsync("/login")).Content.ReadAsStringAsync();
        Assert.That(firstVisit, Does.Not.Contain("login-session-ended"), "a browser that never signed in is told nothing");

        _clock.Advance(TimeSpan.FromMinutes(31));
        var toLogin = await app.Browser.GetAsync("/account");
        Assert.That(Journey.JourneySteps.PathOf(toLogin), Is.EqualTo("/login"));
        var page = await (await app.Browser.GetAsync(toLogin.Headers.Location)).Content.ReadAsStringAsync();
        Assert.That(page, Does.Contain("id=\"login-session-ended\"").And.Contain("しばらく操作がなかったため"));
    }

    [Test]
    public async Task TheEmailPagesOwnChecksForTheOpenedLink_DoNotKeepAnIdleSessionAlive()
    {
        var browser = await AtTheEmailStepAsync(_factory, "K0095");
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Email"] = "k0095@example.jp" });

        // A PC left on the waiting page asks every few seconds whether the link was opened.
        for (var i = 0; i < 3; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(9));
            var status = await browser.GetStringAsync("/journey/email?handler=Status");
            Assert.That(status, Does.Contain("\"moveOn\":false"), "still waiting, still signed in");
        }

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.That(PathOf(await browser.GetAsync("/journey/email")), Is.EqualTo("/login"), "32 minutes without the member: the idle timeout holds");
    }

    [Test]
    public async Task ASessionSignedOutElsewhere_EndedEverywhere_OrPastTheTwelveHours_IsNotContinued()
    {
        await TestMembers.AddAsync(_factory, "K0018", Password);
        var app = TestRelyingApp.Portal(_factory);
        var first = (await app.SignedInAsync("K0018", Password)).RawData;

        // The app's end-session request reached the provider through another browser: this one still holds the cookie.
        var elsewhere = await _factory.Browser().GetAsync(TestRelyingApp.PortalEndSessionUrl(first));
        Assert.That(elsewhere.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalPostLogout));
        _clock.Advance(TimeSpan.FromMinutes(1));
        var second = await ReauthenticateAsync(app, "K0018", new Dictionary<string, string?>());
        Assert.That(SessionOf(second), Is.Not.EqualTo(SessionOf(first)), "a signed-out session");

        await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == "K0018")
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.SessionVersion, m => m.SessionVersion + 1)));
        var third = await ReauthenticateAsync(app, "K0018", new Dictionary<string, string?>());
        Assert.That(SessionOf(third), Is.Not.EqualTo(SessionOf(second)), "a session from before a sign-out everywhere");

        _clock.Advance(TimeSpan.FromHours(12.1));
        var fourth = await ReauthenticateAsync(app, "K0018", new Dictionary<string, string?>());
        Assert.That(SessionOf(fourth), Is.Not.EqualTo(SessionOf(third)), "a session begun more than 12 hours ago");
    }

    [Test]
    public async Task AnotherMembersSignInInTheSameBrowser_StartsASessionOfItsOwn()
    {
        await TestMembers.AddAsync(_factory, "K0016", Password);
        await TestMembers.AddAsync(_factory, "K0017", Password);
        var app = TestRelyingApp.Portal(_factory);
        var first = (await app.SignedInAsync("K0016", Password)).RawData;

        var second = await ReauthenticateAsync(app, "K0017", new Dictionary<string, string?> { ["prompt"] = "select_account" });

        Assert.That(SessionOf(second), Is.Not.EqualTo(SessionOf(first)));
    }

    [Test]
    public async Task AnotherMembersSignInOverASharedPcsSession_EndsTheFirstMembersSessionAndItsApps()
    {
        await TestMembers.AddAsync(_factory, "K0196", Password);
        await TestMembers.AddAsync(_factory, "K0197", Password);
        var app = TestRelyingApp.Portal(_factory);
        var first = await app.SignedInTokensAsync("K0196", Password);
        Assert.That(first.RefreshToken, Is.Not.Null);

        // The next member at the family PC signs in over it: the first session could no longer be signed out from here.
        await ReauthenticateAsync(app, "K0197", new Dictionary<string, string?> { ["prompt"] = "select_account" });

        var refreshed = await app.RefreshAsync(first.RefreshToken!);
        Assert.That(refreshed.Error, Is.EqualTo("invalid_grant"), "the first member's app in this browser no longer works");
        Assert.That(PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "the second member is signed in");
    }

    [Test]
    public async Task TheSameMembersSignInAgain_ContinuesTheSessionAndKeepsItsApps()
    {
        await TestMembers.AddAsync(_factory, "K0198", Password);
        var app = TestRelyingApp.Portal(_factory);
        var first = await app.SignedInTokensAsync("K0198", Password);

        await ReauthenticateAsync(app, "K0198", new Dictionary<string, string?> { ["prompt"] = "login" });

        Assert.That((await app.RefreshAsync(first.RefreshToken!)).Error, Is.Null, "the same member's sign-in continues the session: nothing to end");
    }

    [Test]
    public async Task AnAppsRefreshToken_StopsWorkingTwelveHoursAfterTheSignIn_AndSaysSoItself()
    {
        await TestMembers.AddAsync(_factory, "K0008", Password);
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var tokens = await app.RedeemAsync((await app.SignInAsync("K0008", Password, pkce)).Code!, pkce.Verifier);
        var signedInAt = _clock.GetUtcNow();

        _clock.Advance(TimeSpan.FromHours(11.9));
        var refreshed = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(refreshed.RefreshToken, Is.Not.Null, "within the 12 hours: " + refreshed.Error);
        var introspected = (await app.IntrospectAsync(refreshed.RefreshToken!)).Body;
        Assert.That(introspected.GetProperty("active").GetBoolean(), Is.True);
        Assert.That(introspected.GetProperty("exp").GetInt64(), Is.InRange(signedInAt.AddHours(12).ToUnixTimeSeconds() - 1, signedInAt.AddHours(12).ToUnixTimeSeconds()),
            "the token expires with the sign-in, not 14 days after this refresh");

        _clock.Advance(TimeSpan.FromMinutes(7));
        Assert.That((await app.IntrospectAsync(refreshed.RefreshToken!)).Body.GetProperty("active").GetBoolean(), Is.False, "introspection says what the token endpoint says");
        Assert.That((await app.RefreshAsync(refreshed.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "the member signs in again, for the app too");
    }

    private async Task<TestRelyingApp> SignedInAsync(string userId)
    {
        await TestMembers.AddAsync(_factory, userId, Password);
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync(userId, Password, Pkce.Create())).Code, Is.Not.Null);
        return app;
    }

    private static async Task<AuthorizationResponse> AuthorizeAsync(TestRelyingApp app, IDictionary<string, string?>? overrides = null) =>
        AuthorizationResponse.From(await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), overrides)), KosmoFactory.PortalRedirect);

    /// <summary>Each hop of a request that must not be answered from the session: login page, password, mailed code, then the code. Returns the id_token.</summary>
    private async Task<string> ReauthenticateAsync(
        TestRelyingApp app, string userId, IDictionary<string, string?> overrides, Action? onTheWayBack = null, Action? onTheLoginPage = null)
    {
        var pkce = Pkce.Create();
        var authorize = await app.Browser.GetAsync(app.AuthorizeUrl(pkce, overrides));
        Assert.That(PathOf(authorize), Is.EqualTo("/login"), "the live session is not enough");
        onTheLoginPage?.Invoke();
        var afterPassword = await LoginAsync(app.Browser, userId, Password, authorize.Headers.Location!.OriginalString);
        Assert.That(PathOf(afterPassword), Is.EqualTo("/journey/otp"), "the one-time password is asked again too");
        var afterOtp = await OtpMail.CompleteAsync(_factory, app.Browser, afterPassword, userId.ToLowerInvariant() + "@example.jp");
        Assert.That(PathOf(afterOtp), Is.EqualTo("/connect/authorize"), "back to the app's request");
        onTheWayBack?.Invoke();

        var callback = AuthorizationResponse.From(await app.Browser.GetAsync(afterOtp.Headers.Location), KosmoFactory.PortalRedirect);
        Assert.That(callback.Code, Is.Not.Null, "answered once the member signed in again, not sent round to the login page once more");
        var tokens = await app.RedeemAsync(callback.Code!, pkce.Verifier);
        Assert.That(tokens.IdToken, Is.Not.Null, tokens.Body.ToString());
        return tokens.IdToken!;
    }

    private static string SessionOf(string idToken) => new JwtSecurityTokenHandler().ReadJwtToken(idToken).Claims.Single(c => c.Type == "sid").Value;

    private static long AuthTimeOf(string idToken) =>
        long.Parse(new JwtSecurityTokenHandler().ReadJwtToken(idToken).Claims.Single(c => c.Type == "auth_time").Value, System.Globalization.CultureInfo.InvariantCulture);
}
