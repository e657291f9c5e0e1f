using Kosmo.Idp.Operations.Startup;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Protocol;

internal sealed class ProtocolOptionsValidation(IHostEnvironment environment) : IValidateOptions<ProtocolOptions>
{
    public const string IssuerMissing = "Protocol:Issuer must be set in production: the public https URL of this provider.";

    public ValidateOptionsResult Validate(string? name, ProtocolOptions options)
    {
        if (options.Issuer is null && environment.IsDeployed())
        {
            return ValidateOptionsResult.Fail(IssuerMissing);
        }

        if (options.Issuer is { } issuer && (!issuer.IsAbsoluteUri || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment)))
        {
            return ValidateOptionsResult.Fail("Protocol:Issuer must be an absolute URL without query or fragment.");
        }

        // Members' passwords and the apps' codes pass through it: plain http only on this machine.
        if (options.Issuer is { Scheme: not "https", IsLoopback: false } && environment.IsDeployed())
        {
            return ValidateOptionsResult.Fail("Protocol:Issuer must be an https URL in production (http only on localhost).");
        }

        if (!options.RequireHttps && environment.IsDeployed())
        {
            return ValidateOptionsResult.Fail(
                "Protocol:RequireHttps cannot be off in production: behind a proxy that ends TLS, list it in Proxy:TrustedNetworks so its https is seen.");
        }

        // The pages, cookies and endpoints are served at the site's root; behind a path the links would miss it.
        if (options.Issuer is { AbsolutePath: not "/" } withPath)
        {
            return ValidateOptionsResult.Fail(
                $"Protocol:Issuer must be the root URL of its host, without a path ({withPath.GetLeftPart(UriPartial.Authority)}/ rather than {withPath}): the provider is served at the root.");
        }

        return ValidateOptionsResult.Success;
    }
}
