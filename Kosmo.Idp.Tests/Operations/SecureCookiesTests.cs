using Kosmo.Idp.Tests.Infrastructure;
using Kosmo.Idp.Operations.Web;
using Microsoft.AspNetCore.Http;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>The session cookie (KosmoHost) and the hand-written ones take this policy; PublishedOutputTests sees the language cookie Secure in Production.</summary>
public sealed class SecureCookiesTests
{
    [TestCase("Production", CookieSecurePolicy.Always)]
    [TestCase("Staging", CookieSecurePolicy.Always)]
    [TestCase("Development", CookieSecurePolicy.SameAsRequest)]
    [TestCase("Testing", CookieSecurePolicy.SameAsRequest)]
    public void Cookies_AreAlwaysSecure_OutsideDevelopmentAndTesting(string environment, CookieSecurePolicy expected) =>
        Assert.That(SecureCookies.PolicyFor(new NamedEnvironment(environment)), Is.EqualTo(expected));
}
