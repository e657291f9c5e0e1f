using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Protocol;

internal sealed class ProtocolOptionsValidation(IHostEnvironment environment) : IValidateOptions<ProtocolOptions>
{
    public ValidateOptionsResult Validate(string? name, ProtocolOptions options)
    {
        if (options.Issuer is null && environment.IsProduction())
        {
            return ValidateOptionsResult.Fail("Protocol:Issuer must be set in production: the public https URL of this provider.");
        }

        if (options.Issuer is { } issuer && (!issuer.IsAbsoluteUri || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment)))
        {
            return ValidateOptionsResult.Fail("Protocol:Issuer must be an absolute URL without query or fragment.");
        }

        // The pages, cookies and endpoints are served at the site's root; behind a path the links would miss it.
        if (options.Issuer is { AbsolutePath: not "/" })
        {
            return ValidateOptionsResult.Fail("Protocol:Issuer must be the root URL of its host (https://id.example/), without a path: the provider is served at the root.");
        }

        return ValidateOptionsResult.Success;
    }
}
