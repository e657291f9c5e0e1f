using Kosmo.Idp.Tests.Infrastructure;
using Kosmo.Idp.Protocol;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>Members' passwords and apps' codes never cross a network in clear in production; PublishedOutputTests sees the refusal end the start.</summary>
public sealed class ProtocolOptionsValidationTests
{
    [TestCase("Production", "http://id.kosmo.test/", true, "must be an https URL in production")]
    [TestCase("Production", "https://id.kosmo.test/", false, "RequireHttps cannot be off in production")]
    public void PlainHttp_IsRefusedInProduction(string environment, string issuer, bool requireHttps, string message)
    {
        var result = Validate(environment, issuer, requireHttps);
        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain(message));
    }

    [TestCase("Production", "https://id.kosmo.test/", true)]
    [TestCase("Production", "http://localhost:8080/", true)]
    [TestCase("Development", "http://localhost:5080/", false)]
    [TestCase("Testing", "http://id.kosmo.test/", false)]
    public void Https_OrThisMachine_OrNotProduction_IsAccepted(string environment, string issuer, bool requireHttps) =>
        Assert.That(Validate(environment, issuer, requireHttps).Succeeded, Is.True);

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(string environment, string issuer, bool requireHttps) =>
        new ProtocolOptionsValidation(new NamedEnvironment(environment)).Validate(null, new ProtocolOptions { Issuer = new Uri(issuer), RequireHttps = requireHttps });
}
