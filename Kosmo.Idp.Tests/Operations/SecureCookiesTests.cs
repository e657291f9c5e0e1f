using Kosmo.Idp.Operations.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>The session cookie (KosmoHost) and the hand-written ones take this policy; PublishedOutputTests sees the language cookie Secure in Production.</summary>
public sealed class SecureCookiesTests
{
    [TestCase("Production", CookieSecurePolicy.Always)]
    [TestCase("Staging", CookieSecurePolicy.Always)]
    [TestCase("Development", CookieSecurePolicy.SameAsRequest)]
    [TestCase("Testing", CookieSecurePolicy.SameAsRequest)]
    public void Cookies_AreAlwaysSecure_OutsideDevelopmentAndTesting(string environment, CookieSecurePolicy expected) =>
        Assert.That(SecureCookies.PolicyFor(new FakeEnvironment(environment)), Is.EqualTo(expected));

    private sealed class FakeEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "Kosmo.Idp";

        public string ContentRootPath { get; set; } = "/";

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }
}
