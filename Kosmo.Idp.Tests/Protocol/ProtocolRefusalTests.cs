using System.Net;
using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>Each request the provider must refuse, and how: OAuth's error to the app, or a page when the app cannot be trusted.</summary>
public sealed class ProtocolRefusalTests
{
    private const string UserId = "K0002";
    private const string Password = "correct-horse-2";
    private const string CheckupPostLogout = "https://checkup.test/signed-out";
    private const string NoRefreshClientId = "certificates";
    private const string NoRefreshRedirect = "https://certificates.test/signed-in";
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
        {
            ["RelyingApps:Apps:1:PostLogoutRedirectUris:0"] = CheckupPostLogout,
            // An app that signs members in and never asked to keep them signed in.
            ["RelyingApps:Apps:2:ClientId"] = NoRefreshClientId,
            ["RelyingApps:Apps:2:DisplayName"] = "証明書発行申請",
            ["RelyingApps:Apps:2:Kind"] = "Public",
            ["RelyingApps:Apps:2:RedirectUris:0"] = NoRefreshRedirect,
            ["RelyingApps:Apps:2:Scopes:0"] = "profile",
        });
        await TestMembers.AddAsync(_factory, UserId, Password);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task Discovery_AdvertisesS256Only_TheIssParameter_TheAcrValues_AndThePagesLanguages()
    {
        var discovery = await _factory.Browser().GetStringAsync("/.well-known/openid-configuration");
        using var json = System.Text.Json.JsonDocument.Parse(discovery);
        var root = json.RootElement;
        Assert.That(root.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "S256" }));
        Assert.That(root.GetProperty("authorization_response_iss_parameter_supported").GetBoolean(), Is.True);
        Assert.That(root.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "authorization_code", "refresh_token", "client_credentials" }));
        Assert.That(root.GetProperty("response_types_supported").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "code" }));
        Assert.That(root.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "client_secret_basic", "client_secret_post", "none" }), "no private_key_jwt: no app has a key set; none: public apps");
        Assert.That(root.GetProperty("revocation_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()), Does.Contain("none"));
        Assert.That(root.GetProperty("claims_supported").EnumerateArray().Select(e => e.GetString()), Is.SupersetOf(new[] { "sub", "acr", "amr", "auth_time", "sid" }));
        Assert.That(root.GetProperty("acr_values_supported").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "urn:kosmo:acr:mfa", "urn:kosmo:acr:mfa:app" }), "what an app may ask for");
        Assert.That(root.GetProperty("ui_locales_supported").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "ja", "en" }));
    }

    [TestCase("/.well-known/openid-configuration")]
    [TestCase("/.well-known/oauth-authorization-server")]
    [TestCase("/.well-known/jwks")]
    public async Task DiscoveryAndTheKeySet_AnswerHead_AsTheirGet(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, path);
        var response = await _factory.Browser().SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "uptime monitors probe with HEAD");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(() => _factory.Logs.Events.Any(e => e.Contains("RequestMethod=\"HEAD\"", StringComparison.Ordinal) && e.Contains($"RequestPath=\"{path}\"", StringComparison.Ordinal)),
            Is.True.After(2000, 20), "the request is logged with the method the client sent");
    }

    [Test]
    public async Task Discovery_NamesEveryEndpointUnderTheConfiguredIssuer_WhateverHostTheRequestNames()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        request.Headers.Host = "localhost:8443";
        var response = await _factory.Browser().SendAsync(request);
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var endpoints = json.RootElement.EnumerateObject().Where(p => p.Name.EndsWith("_endpoint", StringComparison.Ordinal) || p.Name == "jwks_uri")
            .ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.That(endpoints.Keys, Is.SupersetOf(new[] { "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "end_session_endpoint", "jwks_uri", "revocation_endpoint", "introspection_endpoint" }));
        Assert.That(endpoints.Values, Has.All.StartWith("http://localhost/connect/").Or.EqualTo("http://localhost/.well-known/jwks"),
            "a cache in front must not keep a document that sends apps to another host or port");
    }

    [Test]
    public async Task TheLanguageSwitch_OnTheErrorPageOfARefusedRequest_ShowsTheSameRefusalInEnglish()
    {
        var app = TestRelyingApp.Portal(_factory);
        var url = app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["code_challenge_method"] = "plain" });
        var refused = await app.Browser.GetAsync(url);
        await AssertErrorPageAsync(refused, "invalid_request");

        var switched = await HtmlForm.SubmitAsync(app.Browser, refused, new Dictionary<string, string> { ["culture"] = "en" }, "form.language-switch");
        Assert.That(switched.Headers.Location!.OriginalString, Is.EqualTo(url), "back to the request, not to /error/400");
        var english = await app.Browser.GetAsync(switched.Headers.Location);
        Assert.That(english.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var html = await english.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("This request cannot be accepted").And.Contain("invalid_request").And.Contain("code_challenge_method"));
    }

    [Test]
    public async Task TheLanguageSwitch_OnTheErrorPageOfARequestSentAsAForm_ShowsTheSameRefusal_NotAnotherOne()
    {
        var app = TestRelyingApp.Portal(_factory);
        var url = app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["code_challenge_method"] = "plain" });
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri("http://x" + url).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
        var refused = await app.Browser.PostAsync("/connect/authorize", new FormUrlEncodedContent(form));
        await AssertErrorPageAsync(refused, "invalid_request");

        var page = await HtmlForm.ParseAsync(refused);
        var again = page.QuerySelector("form.language-switch input[name=returnUrl]")!.GetAttribute("value")!;
        Assert.That(page.QuerySelector("script[src*='forget-form-post.js']")?.GetAttribute("data-here"), Is.EqualTo(again), "Back and a reload open the same");
        var reopened = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri("http://x" + again).Query);
        Assert.That(reopened["client_id"].ToString(), Is.EqualTo(form["client_id"]), "the form's parameters, now in the address");
        Assert.That(reopened["code_challenge_method"].ToString(), Is.EqualTo("plain"));

        var switched = await HtmlForm.SubmitAsync(app.Browser, refused, new Dictionary<string, string> { ["culture"] = "en" }, "form.language-switch");
        var english = await (await app.Browser.GetAsync(switched.Headers.Location)).Content.ReadAsStringAsync();
        Assert.That(english, Does.Contain("This request cannot be accepted").And.Contain("code_challenge_method"));
    }

    [Test]
    public async Task Authorize_WithPlainCodeChallenge_IsRefused()
    {
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["code_challenge_method"] = "plain" }));
        await AssertErrorPageAsync(response, "invalid_request");
    }

    [TestCase("state")]
    [TestCase("max_age")]
    [TestCase("prompt")]
    [TestCase("scope")]
    public async Task Authorize_WithAParameterSentTwice_IsRefused_OnTheErrorPage(string name)
    {
        var app = TestRelyingApp.Portal(_factory);
        var url = app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["max_age"] = "600", ["prompt"] = "login" });
        var value = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri("http://x" + url).Query)[name].ToString();

        var response = await app.Browser.GetAsync(url + "&" + name + "=" + Uri.EscapeDataString(value));

        await AssertErrorPageAsync(response, "invalid_request");
    }

    [TestCase("request_uri", "urn:ietf:params:oauth:request_uri:a", "urn:ietf:params:oauth:request_uri:b")]
    [TestCase("request", "a.b.c", "d.e.f")]
    public async Task Authorize_WithARequestObjectSentTwice_IsRefused_NotIgnored(string name, string first, string second)
    {
        // Refused when sent once; sent twice, it must not read as not sent at all, even with prompt=none.
        var app = TestRelyingApp.Portal(_factory);
        var url = app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["prompt"] = "none" });

        var response = await app.Browser.GetAsync(url + "&" + name + "=" + Uri.EscapeDataString(first) + "&" + name + "=" + Uri.EscapeDataString(second));

        await AssertErrorPageAsync(response, "invalid_request");
    }

    [Test]
    public async Task Authorize_TooLongToCarryThroughTheSignInPages_IsRefusedToTheApp_NotLeftToTheServersBare414()
    {
        var app = TestRelyingApp.Portal(_factory);
        var url = app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["state"] = new string('s', 9000) });
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri("http://x" + url).Query).ToDictionary(p => p.Key, p => p.Value.ToString());

        var response = await app.Browser.PostAsync("/connect/authorize", new FormUrlEncodedContent(form));

        Assert.That(AuthorizationResponse.From(response, KosmoFactory.PortalRedirect).Error, Is.EqualTo("invalid_request"));
        var ordinary = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["state"] = new string('s', 2000) }));
        Assert.That(Journey.JourneySteps.PathOf(ordinary), Is.EqualTo("/login"), "a long but ordinary request goes on to sign-in");
    }

    [TestCase("max_age", "-1")]
    [TestCase("max_age", "abc")]
    [TestCase("code_challenge", "abc")]
    [TestCase("code_challenge", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF.")]
    public async Task Authorize_WithAMalformedParameter_IsRefused_OnTheErrorPage(string name, string value)
    {
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { [name] = value }));
        await AssertErrorPageAsync(response, "invalid_request");
    }

    [TestCase("urn:ietf:params:oauth:request_uri:abc")] // the form a pushed request (PAR, RFC 9126) would have: there is no PAR endpoint
    [TestCase("https://portal.test/request.jwt")]
    public async Task Authorize_WithARequestUri_IsRequestUriNotSupported(string requestUri)
    {
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["request_uri"] = requestUri }));
        await AssertErrorPageAsync(response, "request_uri_not_supported");
    }

    [TestCase("max_age")]
    [TestCase("prompt")]
    [TestCase("request_uri")]
    public async Task Authorize_WithAParameterSentEmpty_GoesOnAsIfItWereOmitted(string name)
    {
        // RFC 6749 3.1: a parameter sent without a value is treated as omitted.
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { [name] = "" }));
        Assert.That(Journey.JourneySteps.PathOf(response), Is.EqualTo("/login"));
    }

    [Test]
    public async Task Token_WithAParameterSentTwice_IsInvalidRequest()
    {
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Backchannel.PostAsync("/connect/token", new StringContent(
            $"grant_type=client_credentials&grant_type=client_credentials&client_id={KosmoFactory.PortalClientId}&client_secret={Uri.EscapeDataString(KosmoFactory.PortalSecret)}",
            System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));

        var tokens = await TokenResponse.ReadAsync(response);
        Assert.That((tokens.Status, tokens.Error, tokens.AccessToken), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_request", (string?)null)));
    }

    [Test]
    public async Task EndSessionAndRevocation_WithAParameterSentTwice_AreInvalidRequest()
    {
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync(UserId, Password, Pkce.Create())).Code, Is.Not.Null);

        // The app would lose its state on the way back: refused, and the member stays signed in.
        var endSession = await app.Browser.GetAsync("/connect/endsession?post_logout_redirect_uri=" + Uri.EscapeDataString(KosmoFactory.PortalPostLogout) + "&state=a&state=b");
        await AssertErrorPageAsync(endSession, "invalid_request");
        Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "still signed in");

        var revocation = await app.Backchannel.PostAsync("/connect/revoke", new StringContent(
            $"token=a&token=b&client_id={KosmoFactory.PortalClientId}&client_secret={Uri.EscapeDataString(KosmoFactory.PortalSecret)}",
            System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.That((revocation.StatusCode, (await TokenResponse.ReadAsync(revocation)).Error), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_request")));
    }

    [Test]
    public async Task Authorize_WithoutCodeChallenge_IsRefused_EvenForAConfidentialApp()
    {
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(pkce: null));
        await AssertErrorPageAsync(response, "invalid_request");
    }

    [Test]
    public async Task Token_WithoutCodeVerifier_IsRefused()
    {
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var authorization = await app.SignInAsync(UserId, Password, pkce);
        var tokens = await app.RedeemAsync(authorization.Code!, verifier: null);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(tokens.Error, Is.EqualTo("invalid_request"));
    }

    [Test]
    public async Task Token_WithWrongCodeVerifier_IsRefused()
    {
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var authorization = await app.SignInAsync(UserId, Password, pkce);
        var tokens = await app.RedeemAsync(authorization.Code!, Pkce.Create().Verifier);
        Assert.That(tokens.Error, Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task Authorize_WithUnregisteredRedirectUri_ShowsAnErrorPage_AndNeverRedirects()
    {
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(),
            new Dictionary<string, string?> { ["redirect_uri"] = "https://attacker.test/callback" }));
        await AssertErrorPageAsync(response, "invalid_request");

        // The app's developer is told which parameter it was, on the page and in the log.
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(html, Does.Match("id=\"error-description\">[^<]*redirect_uri"));
        Assert.That((await HtmlForm.ParseAsync(response)).QuerySelector("details#error-details #error-description"), Is.Not.Null,
            "folded away: a member would take OAuth's English words for something wrong with their account");
        Assert.That(html, Does.Contain("<a href=\"/\" id=\"error-home\" class=\"action\">"), "a member who landed here has a way on, as a button");
        Assert.That(_factory.Logs.Events, Has.Some.Contain("Protocol request refused on the error page: \"invalid_request\"").And.Contain("redirect_uri"));
    }

    [Test]
    public async Task Authorize_WithARedirectUriThatOnlyStartsLikeTheRegisteredOne_IsRefused()
    {
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(),
            new Dictionary<string, string?> { ["redirect_uri"] = KosmoFactory.PortalRedirect + "/extra" }));
        await AssertErrorPageAsync(response, "invalid_request");
    }

    [Test]
    public async Task Authorize_WithUnknownClient_ShowsAnErrorPage_AndNeverRedirects()
    {
        var app = new TestRelyingApp(_factory, "no-such-app", KosmoFactory.PortalRedirect, null);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create()));
        await AssertErrorPageAsync(response, "invalid_request");
    }

    [TestCase("token")]
    [TestCase("id_token")]
    [TestCase("id_token token")]
    [TestCase("code id_token")]
    public async Task Authorize_ImplicitAndHybridResponseTypes_AreRefused(string responseType)
    {
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["response_type"] = responseType }));
        Assert.That(response.Headers.Location?.OriginalString ?? "", Does.Not.Contain("access_token").And.Not.Contain("id_token="));
        if (response.StatusCode == HttpStatusCode.Redirect)
        {
            // Refused back to the app with the standard error.
            Assert.That(response.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalRedirect).And.Contain("error=unsupported_response_type"));
        }
        else
        {
            await AssertErrorPageAsync(response, "unsupported_response_type");
        }
    }

    [Test]
    public async Task Token_PasswordGrant_IsRefused()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "password",
            ["username"] = UserId,
            ["password"] = Password,
        });
        Assert.That(tokens.Error, Is.EqualTo("unsupported_grant_type"));
        Assert.That(tokens.AccessToken, Is.Null);
    }

    [Test]
    public async Task Token_CodeUsedTwice_IsRefused_AndRevokesWhatTheFirstUseIssued()
    {
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var code = (await app.SignInAsync(UserId, Password, pkce)).Code!;
        var first = await app.RedeemAsync(code, pkce.Verifier);
        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK));

        var second = await app.RedeemAsync(code, pkce.Verifier);
        Assert.That(second.Error, Is.EqualTo("invalid_grant"));
        Assert.That((await app.RefreshAsync(first.RefreshToken!)).Error, Is.EqualTo("invalid_grant"),
            "a replayed code means it leaked: the tokens it produced are revoked");
    }

    [Test]
    public async Task Refresh_ReplayOfARedeemedToken_RevokesTheWholeFamily()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync(UserId, Password);
        var second = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(second.Status, Is.EqualTo(HttpStatusCode.OK));

        Assert.That((await app.RefreshAsync(tokens.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "no reuse leeway");
        Assert.That((await app.RefreshAsync(second.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "the newer token of the family is revoked too");
    }

    [Test]
    public async Task Refresh_OneTokenSentSeveralTimesAtOnce_WorksOnce_AndTheWinnersTokensAreRevokedToo()
    {
        var app = TestRelyingApp.Portal(_factory);
        // Several rounds: a round whose requests happen not to overlap proves only the replay rule above.
        for (var round = 0; round < 3; round++)
        {
            var tokens = await app.SignedInTokensAsync(UserId, Password);

            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => app.RefreshAsync(tokens.RefreshToken!)));

            var won = answers.Where(a => a.Status == HttpStatusCode.OK).ToList();
            Assert.That(won, Has.Count.EqualTo(1), $"round {round}: exactly one request redeems the token");
            Assert.That(answers.Where(a => a.Status != HttpStatusCode.OK).Select(a => a.Error), Is.All.EqualTo("invalid_grant"));
            Assert.That((await app.RefreshAsync(won[0].RefreshToken!)).Error, Is.EqualTo("invalid_grant"),
                $"round {round}: the token was used twice, so the family is revoked, the winner's new token included");
        }
    }

    [Test]
    public async Task UserInfo_WithTheAccessTokenInTheUrl_IsRefused_AndWorksFromTheHeader()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync(UserId, Password);

        var inUrl = await _factory.Browser().GetAsync("/connect/userinfo?access_token=" + Uri.EscapeDataString(tokens.AccessToken!));
        Assert.That(inUrl.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), inUrl.Headers.WwwAuthenticate.ToString());
        Assert.That(inUrl.Headers.WwwAuthenticate.ToString(), Does.Contain("invalid_request"), "RFC 6750: the error in WWW-Authenticate");

        var header = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        header.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        Assert.That((await _factory.Browser().SendAsync(header)).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        // OpenID Connect Core 5.3.1: POST too, with nothing but the header (no body, no Content-Type).
        var post = new HttpRequestMessage(HttpMethod.Post, "/connect/userinfo");
        post.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        var posted = await _factory.Browser().SendAsync(post);
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK), posted.Headers.WwwAuthenticate.ToString());
        Assert.That(await posted.Content.ReadAsStringAsync(), Does.Contain("\"sub\""));
        // A browser's fetch with body '' sends an empty body typed text/plain: still nothing but the header.
        var emptyText = new HttpRequestMessage(HttpMethod.Post, "/connect/userinfo") { Content = new StringContent("", System.Text.Encoding.UTF8, "text/plain") };
        emptyText.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        var postedEmptyText = await _factory.Browser().SendAsync(emptyText);
        Assert.That(postedEmptyText.StatusCode, Is.EqualTo(HttpStatusCode.OK), postedEmptyText.Headers.WwwAuthenticate.ToString());

        // RFC 6750 2: one method per request. In the body alone it works; in the body and the header, it is refused.
        var inBody = await _factory.Browser().PostAsync("/connect/userinfo",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["access_token"] = tokens.AccessToken! }));
        Assert.That(inBody.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var twice = new HttpRequestMessage(HttpMethod.Post, "/connect/userinfo")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["access_token"] = tokens.AccessToken! }),
        };
        twice.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        var refused = await _factory.Browser().SendAsync(twice);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(refused.Headers.WwwAuthenticate.ToString(), Does.Contain("invalid_request"));

        // Sent twice in the body, it is not "no token" (a bare 401) but a malformed request (RFC 6750 3.1).
        var repeated = await _factory.Browser().PostAsync("/connect/userinfo", new StringContent(
            "access_token=" + Uri.EscapeDataString(tokens.AccessToken!) + "&access_token=" + Uri.EscapeDataString(tokens.AccessToken!),
            System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.That(repeated.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(repeated.Headers.WwwAuthenticate.ToString(), Does.Contain("invalid_request"));
    }

    [Test]
    public async Task UserInfo_ForATokenAskedForWithoutOpenId_IsForbiddenAsInsufficientScope()
    {
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var code = (await app.SignInAsync(UserId, Password, pkce, new Dictionary<string, string?> { ["scope"] = "profile email" })).Code!;
        var tokens = await app.RedeemAsync(code, pkce.Verifier);
        Assert.That(tokens.IdToken, Is.Null, "not an OpenID Connect request");

        var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        var answer = await _factory.Browser().SendAsync(request);

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(answer.Headers.WwwAuthenticate.ToString(), Does.Contain("insufficient_scope"));
        Assert.That(await answer.Content.ReadAsStringAsync(), Does.Not.Contain("email"));
    }

    [Test]
    public async Task Introspection_ByGetWithTheTokenInTheUrl_IsRefused()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync(UserId, Password);

        var answer = await TokenResponse.ReadAsync(await app.Backchannel.GetAsync(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/connect/introspect",
            new Dictionary<string, string?> { ["token"] = tokens.AccessToken, ["client_id"] = KosmoFactory.PortalClientId, ["client_secret"] = KosmoFactory.PortalSecret })));

        Assert.That((answer.Status, answer.Error), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_request")));
        Assert.That((await app.IntrospectAsync(tokens.AccessToken!)).Body.GetProperty("active").GetBoolean(), Is.True, "by POST it works");
    }

    [Test]
    public async Task Token_WithACodeVerifierShorterThanPkceAllows_IsRefused()
    {
        var app = TestRelyingApp.Portal(_factory);
        var shortVerifier = new Pkce("abc", Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData("abc"u8)));
        var code = (await app.SignInAsync(UserId, Password, shortVerifier)).Code!;

        var tokens = await app.RedeemAsync(code, shortVerifier.Verifier);

        Assert.That((tokens.Status, tokens.Error), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_request")));
        Assert.That(tokens.AccessToken, Is.Null);
    }

    [Test]
    public async Task AScopeTheAppIsNotRegisteredFor_IsInvalidScope_AtAuthorizationAndAtRefresh()
    {
        var app = TestRelyingApp.Checkup(_factory);
        // On the error page, as OpenIddict answers every refusal it makes before the redirect URI is checked.
        await AssertErrorPageAsync(await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["scope"] = "openid email" })), "invalid_scope");

        var tokens = await app.SignedInTokensAsync(UserId, Password);
        var widened = await app.TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.RefreshToken, ["scope"] = "openid email",
        });
        Assert.That(widened.Error, Is.EqualTo("invalid_scope"));
    }

    [Test]
    public async Task OfflineAccess_ForAnAppNotRegisteredForIt_IsInvalidScope_AndItsSignInsCarryNoRefreshToken()
    {
        var app = new TestRelyingApp(_factory, NoRefreshClientId, NoRefreshRedirect, null);
        await AssertErrorPageAsync(await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create())), "invalid_scope");

        var pkce = Pkce.Create();
        var tokens = await app.RedeemAsync(
            (await app.SignInAsync(UserId, Password, pkce, new Dictionary<string, string?> { ["scope"] = "openid profile" })).Code!, pkce.Verifier);

        Assert.That(tokens.AccessToken, Is.Not.Null, tokens.Body.ToString());
        Assert.That(tokens.RefreshToken, Is.Null);
    }

    [Test]
    public async Task Authorize_WithAnotherAppsIdTokenAsTheHint_IsInvalidRequest_WhileItsGrantLives_AndAfterItWasRevoked()
    {
        var portal = TestRelyingApp.Portal(_factory);
        var tokens = await portal.SignedInTokensAsync(UserId, Password);
        var asCheckup = TestRelyingApp.Checkup(_factory).AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?>
        {
            ["id_token_hint"] = tokens.IdToken, ["prompt"] = "none",
        });

        await AssertErrorPageAsync(await portal.Browser.GetAsync(asCheckup), "invalid_request");

        // The portal signs out as the guide says: its grant is revoked first, and OpenIddict then sets the hint aside.
        var revoke = await portal.PostBackchannelAsync("/connect/revoke",
            new Dictionary<string, string?> { ["token"] = tokens.RefreshToken, ["token_type_hint"] = "refresh_token" });
        Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await AssertErrorPageAsync(await portal.Browser.GetAsync(asCheckup), "invalid_request");
    }

    [Test]
    public async Task AUsedCode_ReplayedUnderAnotherAppsClientId_EndsNothing_ButUnderItsOwnAppEndsTheSignIn()
    {
        var portal = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var code = (await portal.SignInAsync(UserId, Password, pkce)).Code!;
        var tokens = await portal.RedeemAsync(code, pkce.Verifier);
        Assert.That(tokens.RefreshToken, Is.Not.Null, tokens.Body.ToString());

        var byAnother = await TestRelyingApp.Checkup(_factory).TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = KosmoFactory.PortalRedirect, ["code_verifier"] = pkce.Verifier,
        });
        Assert.That(byAnother.Error, Is.EqualTo("invalid_grant"), byAnother.Body.ToString());
        var refreshed = await portal.RefreshAsync(tokens.RefreshToken!);
        Assert.That(refreshed.RefreshToken, Is.Not.Null, "the portal's sign-in goes on: " + refreshed.Body);

        Assert.That((await portal.RedeemAsync(code, pkce.Verifier)).Error, Is.EqualTo("invalid_grant"));
        Assert.That((await portal.RefreshAsync(refreshed.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "replayed by its own app: the family ends");
    }

    [Test]
    public async Task Token_CodeRedeemedByAnotherApp_IsRefused()
    {
        var portal = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var code = (await portal.SignInAsync(UserId, Password, pkce)).Code!;
        var checkup = TestRelyingApp.Checkup(_factory);
        var stolen = await checkup.TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = KosmoFactory.PortalRedirect,
            ["code_verifier"] = pkce.Verifier,
        });
        Assert.That(stolen.AccessToken, Is.Null);
        Assert.That(stolen.Error, Is.EqualTo("invalid_grant").Or.EqualTo("invalid_request"));
    }

    [Test]
    public async Task Token_ConfidentialAppWithWrongSecret_IsRefused()
    {
        var app = new TestRelyingApp(_factory, KosmoFactory.PortalClientId, KosmoFactory.PortalRedirect, "wrong-secret-wrong-secret-wrong-secret");
        var tokens = await app.TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials" });
        Assert.That((tokens.Status, tokens.Error), Is.EqualTo((HttpStatusCode.Unauthorized, "invalid_client")));
    }

    // RFC 6749 5.2: a client that tried HTTP Basic and failed gets invalid_client, 401 and a Basic
    // challenge, whatever was wrong with the header; RFC 7617 2: the challenge names a realm.
    [TestCase("/connect/token", "grant_type=client_credentials", "!!!")]
    [TestCase("/connect/token", "grant_type=client_credentials", "bWVkaWNhbC1leHBlbnNl")] // "medical-expense", no colon
    [TestCase("/connect/token", "grant_type=client_credentials", "OnNlY3JldA==")] // ":secret", no client id
    [TestCase("/connect/token", "grant_type=client_credentials", "cG9ydGFsOg==")] // "portal:", no secret
    [TestCase("/connect/token", "grant_type=client_credentials", "")] // "Basic" and nothing else
    [TestCase("/connect/token", "grant_type=authorization_code&code=x&code_verifier=" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "")]
    [TestCase("/connect/revoke", "token=anything", "!!!")]
    [TestCase("/connect/introspect", "token=anything", "bWVkaWNhbC1leHBlbnNl")]
    public async Task MalformedBasicCredentials_AreInvalidClient_WithABasicChallenge(string path, string form, string credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(form, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Basic " + credentials);
        var response = await _factory.Browser().SendAsync(request);
        var body = await TokenResponse.ReadAsync(response);

        Assert.That((response.StatusCode, body.Error), Is.EqualTo((HttpStatusCode.Unauthorized, "invalid_client")), body.Body.ToString());
        Assert.That(response.Headers.WwwAuthenticate.Select(h => h.Scheme), Does.Contain("Basic"));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("realm=\"kosmo-idp\""));
    }

    [TestCase(KosmoFactory.PortalClientId)]
    [TestCase(KosmoFactory.CheckupClientId)]
    [TestCase(null)]
    public async Task ClientCredentials_WithAClientIdButNoSecret_OrNeither_IsInvalidClient(string? clientId)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (clientId is not null)
        {
            form["client_id"] = clientId;
        }

        var response = await _factory.Browser().PostAsync("/connect/token", new FormUrlEncodedContent(form));
        var body = await TokenResponse.ReadAsync(response);
        Assert.That((response.StatusCode, body.Error, body.AccessToken), Is.EqualTo((HttpStatusCode.Unauthorized, "invalid_client", (string?)null)), body.Body.ToString());
    }

    [TestCase("/connect/token", "grant_type=client_credentials")]
    [TestCase("/connect/introspect", "token=anything")]
    [TestCase("/connect/revoke", "token=anything")]
    public async Task BasicCredentialsWithAnotherClientIdInTheBody_AreRefused_AndTheSameClientIdIsNot(string path, string form)
    {
        async Task<TokenResponse> PostAsync(string bodyClientId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path)
            {
                Content = new StringContent(form + "&client_id=" + bodyClientId, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(KosmoFactory.PortalClientId + ":" + KosmoFactory.PortalSecret)));
            var response = await _factory.Browser().SendAsync(request);
            return await TokenResponse.ReadAsync(response);
        }

        var other = await PostAsync(KosmoFactory.CheckupClientId);
        Assert.That((other.Status, other.Error), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_request")), other.Body.ToString());
        Assert.That(other.Get("error_description"), Does.Contain("another client"));
        var twice = await PostAsync(KosmoFactory.PortalClientId + "&client_id=" + KosmoFactory.PortalClientId);
        Assert.That(twice.Get("error_description"), Does.Contain("more than once"), twice.Body.ToString());
        foreach (var accepted in new[] { KosmoFactory.PortalClientId, "" })
        {
            var same = await PostAsync(accepted);
            Assert.That(same.Status, Is.EqualTo(HttpStatusCode.OK), $"client_id='{accepted}': " + same.Body);
        }
    }

    [Test]
    public async Task Token_MalformedRequest_GetsTheStandardErrorResponse()
    {
        var response = await _factory.Browser().PostAsync("/connect/token", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        var body = await TokenResponse.ReadAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Error, Is.EqualTo("invalid_request"));
    }

    [Test]
    public async Task Authorize_PromptNone_WithoutASession_ReturnsLoginRequiredToTheApp()
    {
        var app = TestRelyingApp.Portal(_factory);
        var response = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["prompt"] = "none" }));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(response.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalRedirect).And.Contain("error=login_required"));
        Assert.That(response.Headers.Location!.OriginalString, Does.Not.Contain("error_uri"),
            "not OpenIddict's page for access_denied (\"the authorization was denied by the end user\"), which an app's exception would quote");
    }

    [Test]
    public async Task EndSession_WithAnUnregisteredPostLogoutRedirectUri_ShowsAnErrorPage_NeverRedirectsThere_AndKeepsTheSession()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync(UserId, Password);

        var response = await app.Browser.GetAsync("/connect/endsession?id_token_hint=" + Uri.EscapeDataString(tokens.IdToken!)
            + "&post_logout_redirect_uri=" + Uri.EscapeDataString("https://attacker.test/signed-out") + "&state=bye");
        await AssertErrorPageAsync(response, "invalid_request");
        var again = AuthorizationResponse.From(await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create())), KosmoFactory.PortalRedirect);
        Assert.That(again.Code, Is.Not.Null, "a refused request signs nobody out");
    }

    [Test]
    public async Task EndSession_WithNoSession_ReturnsToTheAddressOnlyWithTheAppsIdTokenHint()
    {
        var app = TestRelyingApp.Portal(_factory);
        var idToken = (await app.SignedInTokensAsync(UserId, Password)).IdToken!;
        var stranger = _factory.Browser();
        var address = "/connect/endsession?post_logout_redirect_uri=" + Uri.EscapeDataString(KosmoFactory.PortalPostLogout) + "&state=chosen-by-someone";

        // A link on any page: nothing vouches for the address, so no bounce through here with a state of its choosing.
        var bounced = await stranger.GetAsync(address);
        Assert.That(bounced.Headers.Location?.OriginalString, Is.EqualTo("/signed-out"));
        var named = await stranger.GetAsync(address + "&client_id=" + KosmoFactory.PortalClientId);
        Assert.That(named.Headers.Location?.OriginalString, Is.EqualTo("/signed-out"), "a client_id is public: it vouches for nothing");

        var hinted = await stranger.GetAsync(address + "&id_token_hint=" + idToken);
        Assert.That(hinted.Headers.Location?.OriginalString, Does.StartWith(KosmoFactory.PortalPostLogout + "?state=chosen-by-someone"), "the app's own id_token does");
    }

    [Test]
    public async Task AScopeOfSpacesOnly_IsInvalidScope_NotATokenWithNoScope()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync(UserId, Password);
        Assert.That(tokens.RefreshToken, Is.Not.Null);

        var refreshed = await app.TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.RefreshToken, ["scope"] = " " });
        Assert.That(refreshed.Error, Is.EqualTo("invalid_scope"));

        var asked = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["scope"] = "  " }));
        await AssertErrorPageAsync(asked, "invalid_scope");
    }

    [Test]
    public async Task EndSession_WithoutAnIdTokenHint_AsksTheMemberFirst_AndSignsOutOnlyWhenTheyPressTheButton()
    {
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync(UserId, Password, Pkce.Create())).Code, Is.Not.Null);

        // A plain link, as any site could put in front of the member.
        var asked = await app.Browser.GetAsync("/connect/endsession?post_logout_redirect_uri=" + Uri.EscapeDataString(KosmoFactory.PortalPostLogout) + "&state=bye");
        Assert.That(Journey.JourneySteps.PathOf(asked), Is.EqualTo("/logout"));
        Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "still signed in");

        // A form on another host of the same site posts the page's fields, but has no token of this browser's.
        var forged = await app.Browser.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["post_logout_redirect_uri"] = KosmoFactory.PortalPostLogout,
            ["state"] = "forged",
            ["__RequestVerificationToken"] = "made-up",
        }));
        Assert.That(Journey.JourneySteps.PathOf(forged), Is.EqualTo("/logout"), "asked again, not signed out");
        Assert.That(forged.Headers.Location!.OriginalString, Does.Contain("state=forged").And.Not.Contain("RequestVerificationToken"));
        Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "still signed in");

        var question = await Journey.JourneySteps.FollowAsync(app.Browser, asked);
        var signedOut = await HtmlForm.SubmitAsync(app.Browser, question, new Dictionary<string, string>(), "#logout-form");
        Assert.That(signedOut.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalPostLogout + "?state=bye"), "then back to the app, as it asked");
        Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("/login"));
    }

    [Test]
    public async Task TheLogoutQuestion_WithAnUnregisteredReturnAddress_StillSignsOutWhenTheMemberConfirms()
    {
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync(UserId, Password, Pkce.Create())).Code, Is.Not.Null);

        // The end-session endpoint refuses such an address itself; the question page, opened directly, must not pass it on.
        var question = await app.Browser.GetAsync("/logout?post_logout_redirect_uri=" + Uri.EscapeDataString("https://attacker.test/") + "&state=x");
        var signedOut = await HtmlForm.SubmitAsync(app.Browser, question, new Dictionary<string, string>(), "#logout-form");

        Assert.That(signedOut.Headers.Location?.OriginalString, Is.EqualTo("/signed-out"), "our own page, never the unregistered address");
        Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("/login"), "signed out as asked");
    }

    [TestCase("not-a-token")]
    [TestCase("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")]
    public async Task EndSession_WithAnIdTokenHintThatIsNotValid_AsksTheMemberFirst_LikeAPlainLink(string hint)
    {
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync(UserId, Password, Pkce.Create())).Code, Is.Not.Null);

        var asked = await app.Browser.GetAsync("/connect/endsession?id_token_hint=" + Uri.EscapeDataString(hint));

        Assert.That(Journey.JourneySteps.PathOf(asked), Is.EqualTo("/logout"));
        Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "still signed in");
    }

    [Test]
    public async Task EndSession_WithAnotherMembersIdToken_AsksTheMemberFirst()
    {
        await TestMembers.AddAsync(_factory, "R0099", Password);
        var someoneElse = await TestRelyingApp.Portal(_factory).SignedInAsync("R0099", Password);
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync(UserId, Password, Pkce.Create())).Code, Is.Not.Null);

        var asked = await app.Browser.GetAsync(TestRelyingApp.PortalEndSessionUrl(someoneElse.RawData));

        Assert.That(Journey.JourneySteps.PathOf(asked), Is.EqualTo("/logout"));
        Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "still signed in");
    }

    [Test]
    public async Task EndSession_WithTheHintOfARevokedGrant_ReturnsOnlyToTheAppTheHintWasIssuedTo()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync(UserId, Password);
        // As docs/integrating-an-app.md suggests: revoke, then sign the member out.
        Assert.That((await app.PostBackchannelAsync("/connect/revoke", new Dictionary<string, string?> { ["token"] = tokens.RefreshToken })).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var hint = Uri.EscapeDataString(tokens.IdToken!);

        foreach (var (query, what) in new[]
        {
            ("&client_id=" + KosmoFactory.CheckupClientId + "&post_logout_redirect_uri=" + Uri.EscapeDataString(CheckupPostLogout), "another app's client_id"),
            ("&post_logout_redirect_uri=" + Uri.EscapeDataString(CheckupPostLogout), "another app's return address"),
        })
        {
            await AssertErrorPageAsync(await app.Browser.GetAsync("/connect/endsession?id_token_hint=" + hint + query + "&state=v"), "invalid_request");
            Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), what + ": still signed in");
        }

        var signedOut = await app.Browser.GetAsync(TestRelyingApp.PortalEndSessionUrl(tokens.IdToken!));
        Assert.That(signedOut.Headers.Location!.OriginalString, Is.EqualTo(KosmoFactory.PortalPostLogout), "its own app's address: signed out without a question");
        Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("/login"));
    }

    [Test]
    public async Task EndSession_FromTheAppsServer_WithTheHintOfARevokedGrant_EndsTheSignInItNames()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync(UserId, Password);
        Assert.That((await app.PostBackchannelAsync("/connect/revoke", new Dictionary<string, string?> { ["token"] = tokens.RefreshToken })).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        // Without the member's cookie: the sign-in is found by the hint's sid.
        var answer = await _factory.Browser().GetAsync(TestRelyingApp.PortalEndSessionUrl(tokens.IdToken!));

        Assert.That(answer.Headers.Location!.OriginalString, Is.EqualTo(KosmoFactory.PortalPostLogout));
        Assert.That(Journey.JourneySteps.PathOf(await app.Browser.GetAsync("/account")), Is.EqualTo("/login"), "the member's browser is signed out too");
    }

    private static async Task AssertErrorPageAsync(HttpResponseMessage response, string error)
    {
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "no redirect to an untrusted or unverified place");
        Assert.That(response.Headers.Location, Is.Null);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("この要求は受け付けられません"));
        Assert.That(html, Does.Contain(error));
        Assert.That(html, Does.Not.Contain("   at "), "no stack trace");
    }
}
