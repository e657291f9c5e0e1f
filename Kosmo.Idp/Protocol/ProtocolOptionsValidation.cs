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

        return ValidateOptionsResult.Success;
    }
}
