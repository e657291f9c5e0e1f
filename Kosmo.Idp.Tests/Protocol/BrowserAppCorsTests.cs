using System.Net;
using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>
/// A browser app's JavaScript may call the token, userinfo, revocation, discovery and JWKS
/// endpoints from its own origin (that of its redirect URI), and nobody else's script may.
/// </summary>
public sealed class BrowserAppCorsTests
{
    private const string CheckupOrigin = "https://checkup.test";
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [TestCase("/connect/token", "POST", "content-type")]
    [TestCase("/connect/userinfo", "GET", "authorization")]
    [TestCase("/connect/revoke", "POST", "content-type")]
    public async Task PublicAppsOrigin_PassesThePreflight(string path, string method, string header)
    {
        using var response = await PreflightAsync(path, CheckupOrigin, method, header);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { CheckupOrigin }));
        Assert.That(response.Headers.Contains("Access-Control-Allow-Credentials"), Is.False, "no cookie is ever needed here");
    }

    [TestCase("/.well-known/openid-configuration")]
    [TestCase("/.well-known/jwks")]
    public async Task PublicAppsOrigin_MayReadDiscoveryAndTheJwks(string path)
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Origin", CheckupOrigin);
        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { CheckupOrigin }));
        Assert.That(response.Headers.Vary, Is.EqualTo(new[] { "Origin" }), "a cache must not give this answer to another origin");

        using var withoutOrigin = await client.GetAsync(path);
        Assert.That(withoutOrigin.Headers.Vary, Is.EqualTo(new[] { "Origin" }), "nor this one, without the header, to the app");
    }

    [TestCase("https://evil.test")]
    [TestCase("https://portal.test")] // the confidential portal calls us from its server, never from script
    [TestCase("http://checkup.test")] // the app's host, but not its scheme
    [TestCase("https://checkup.test:8443")] // nor its port
    [TestCase("null")] // sandboxed frames and file: pages
    public async Task OtherOrigins_GetNoCorsHeaders(string origin)
    {
        using var response = await PreflightAsync("/connect/token", origin, "POST", "content-type");

        Assert.That(response.Headers.Contains("Access-Control-Allow-Origin"), Is.False);
    }

    [Test]
    public async Task TheTokenEndpointsOwnErrorAnswer_IsReadableByTheApp()
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["client_id"] = KosmoFactory.CheckupClientId,
                ["code"] = "not-a-code",
                ["redirect_uri"] = KosmoFactory.CheckupRedirect,
                ["code_verifier"] = new string('a', 43),
            }),
        };
        request.Headers.Add("Origin", CheckupOrigin);
        using var response = await client.SendAsync(request);

        // The app's script can then read "invalid_grant" instead of a CORS failure.
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("invalid_grant"));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { CheckupOrigin }));
    }

    [Test]
    public async Task UserinfosRefusal_ExposesWhy()
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Add("Origin", CheckupOrigin);
        request.Headers.Add("Authorization", "Bearer not-a-token");
        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.GetValues("Access-Control-Expose-Headers"), Has.Some.Contains("WWW-Authenticate"));
    }

    [Test]
    public async Task ThePagesMembersSee_AreNeverOpenToScripts()
    {
        using var response = await PreflightAsync("/login", CheckupOrigin, "POST", "content-type");

        Assert.That(response.Headers.Contains("Access-Control-Allow-Origin"), Is.False);
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path, string origin, string method, string header)
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", header);
        return await client.SendAsync(request);
    }
}
