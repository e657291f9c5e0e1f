using System.Net;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kosmo.Idp.Tests.Protocol;

public sealed class ClientCredentialsTests
{
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task ServiceApp_GetsAJwtForItself_ThatValidatesAgainstTheJwks_AndWritesNoTokenRow()
    {
        var app = TestRelyingApp.Portal(_factory);
        var rowsBefore = await TestMembers.WithDbAsync(_factory, db => db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreToken>().CountAsync());

        var tokens = await app.TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials" });
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());
        Assert.That(tokens.RefreshToken, Is.Null);
        Assert.That(tokens.IdToken, Is.Null);

        var jwks = new JsonWebKeySet(await app.Backchannel.GetStringAsync("/.well-known/jwks"));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.AccessToken, new TokenValidationParameters
        {
            ValidIssuer = "http://localhost/",
            ValidateAudience = false,
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });
        Assert.That(result.IsValid, Is.True, result.Exception?.Message);
        Assert.That(result.Claims["sub"], Is.EqualTo(KosmoFactory.PortalClientId));

        var rowsAfter = await TestMembers.WithDbAsync(_factory, db => db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreToken>().CountAsync());
        Assert.That(rowsAfter, Is.EqualTo(rowsBefore), "service tokens are self-contained; no database write per request");
    }

    [TestCase("openid")]
    [TestCase("offline_access")]
    [TestCase("profile")]
    public async Task ServiceApp_AskingForAMembersScope_IsRefusedWithInvalidScope(string scope)
    {
        var tokens = await TestRelyingApp.Portal(_factory).TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials", ["scope"] = scope });

        Assert.That((tokens.Status, tokens.Error), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_scope")), tokens.Body.ToString());
        Assert.That((tokens.AccessToken, tokens.IdToken, tokens.RefreshToken), Is.EqualTo(((string?)null, (string?)null, (string?)null)));
    }

    [Test]
    public async Task PublicApp_CannotUseClientCredentials()
    {
        var app = TestRelyingApp.Checkup(_factory);
        var tokens = await app.TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials" });
        Assert.That(tokens.AccessToken, Is.Null);
        Assert.That((tokens.Status, tokens.Error), Is.EqualTo((HttpStatusCode.Unauthorized, "invalid_client")), "RFC 6749 5.2: no client authentication included");
    }

    [Test]
    public async Task ClientSecret_IsStoredAsAKeyedHash_NotInClear()
    {
        var stored = await TestMembers.WithDbAsync(_factory, db => db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>()
            .Where(a => a.ClientId == KosmoFactory.PortalClientId).Select(a => a.ClientSecret).SingleAsync());
        Assert.That(stored, Does.StartWith("hmac-sha256:"));
        Assert.That(stored, Does.Not.Contain(KosmoFactory.PortalSecret));
    }
}
