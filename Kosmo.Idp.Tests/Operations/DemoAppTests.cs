using System.Net;
using Kosmo.Idp.DemoApp;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kosmo.Idp.Tests.Operations;

public sealed class DemoAppTests
{
    private static readonly Dictionary<string, string?> DemoAppSettings = new()
    {
        ["DemoApp:Enabled"] = "true",
        ["DemoApp:ClientId"] = "demo-app",
        ["RelyingApps:Apps:2:ClientId"] = "demo-app",
        ["RelyingApps:Apps:2:DisplayName"] = "デモ",
        ["RelyingApps:Apps:2:ClientSecret"] = "demo-app-secret-0123456789-0123456789",
        ["RelyingApps:Apps:2:RedirectUris:0"] = "http://localhost/demo/callback",
        ["RelyingApps:Apps:2:PostLogoutRedirectUris:0"] = "http://localhost/demo",
        ["RelyingApps:Apps:2:Scopes:0"] = "profile",
    };

    [Test]
    public async Task TheDemoApp_SignsInThroughTheCodeFlow_AndShowsTheIdTokenClaims()
    {
        KosmoFactory? factory = null;
        factory = new KosmoFactory(await PostgresServer.CreateDatabaseAsync(), DemoAppSettings, services => services.AddHttpClient(DemoAppOptions.Backchannel).ConfigurePrimaryHttpMessageHandler(() => factory!.Server.CreateHandler()));
        await using var _ = factory;
        await TestMembers.AddAsync(factory, "D0001", "demo-password-1", "デモ 次郎");
        var browser = factory.Browser();

        var toProvider = await browser.GetAsync("/demo/login");
        var toLogin = await browser.GetAsync(toProvider.Headers.Location);
        var loginPage = await browser.GetAsync(toLogin.Headers.Location);
        var backToAuthorize = await HtmlForm.SubmitAsync(browser, loginPage, new Dictionary<string, string> { ["UserId"] = "D0001", ["Password"] = "demo-password-1" });
        var afterOtp = await OtpMail.CompleteAsync(factory, browser, backToAuthorize, "d0001@example.jp");
        var toCallback = await browser.GetAsync(afterOtp.Headers.Location);
        Assert.That(toCallback.Headers.Location!.OriginalString, Does.StartWith("http://localhost/demo/callback?code="));
        var toHome = await browser.GetAsync(toCallback.Headers.Location);
        Assert.That(toHome.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await toHome.Content.ReadAsStringAsync());
        var home = await browser.GetStringAsync("/demo");

        Assert.That(home, Does.Contain("ログインしました").And.Contain("デモ 次郎").And.Contain("auth_time"));
    }

    [Test]
    public async Task TheDemoApp_RefusesAnotherHost_SoItsClientSecretIsNeverSentThere()
    {
        await using var factory = new KosmoFactory(await PostgresServer.CreateDatabaseAsync(), DemoAppSettings);
        var browser = factory.Browser();

        var login = new HttpRequestMessage(HttpMethod.Get, "/demo/login");
        login.Headers.Host = "attacker.example";
        var refused = await browser.SendAsync(login);
        var callback = new HttpRequestMessage(HttpMethod.Get, "/demo/callback?code=x&state=y&iss=http%3A%2F%2Fattacker.example%2F");
        callback.Headers.Host = "attacker.example";
        var refusedCallback = await browser.SendAsync(callback);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(refused.Headers.Location, Is.Null);
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("http://localhost/demo"));
        Assert.That(refusedCallback.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await refusedCallback.Content.ReadAsStringAsync(), Does.Contain("http://localhost/demo"), "refused for its address, before any token request");
    }

    [Test]
    public async Task TheDemoAppOpenedAs127001_OnAnotherPort_PointsToTheAddressRegisteredForThatPort()
    {
        await using var factory = new KosmoFactory(await PostgresServer.CreateDatabaseAsync(), new Dictionary<string, string?>(DemoAppSettings)
        {
            ["RelyingApps:Apps:2:RedirectUris:1"] = "http://localhost:5189/demo/callback",
        });
        var numeric = new HttpRequestMessage(HttpMethod.Get, "/demo/login");
        numeric.Headers.Host = "127.0.0.1:5189";

        var refused = await factory.Browser().SendAsync(numeric);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("href=\"http://localhost:5189/demo\""), "this instance, not the first registered one");
    }
}
