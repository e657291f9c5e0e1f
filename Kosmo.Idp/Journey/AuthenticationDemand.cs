using Microsoft.AspNetCore.WebUtilities;

namespace Kosmo.Idp.Journey;

/// <summary>
/// What the relying app's request asks of the authentication beyond the defaults: today, an
/// authenticator app (acr_values=urn:kosmo:acr:mfa:app). The journey pages read it from the
/// authorization request they will return to, so it needs no state of its own.
/// </summary>
public sealed record AuthenticationDemand(bool RequiresApp)
{
    public static readonly AuthenticationDemand None = new(false);

    public static AuthenticationDemand FromAcrValues(string? acrValues) =>
        new(acrValues?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(AuthenticationMethods.AcrApp) == true);

    public static AuthenticationDemand FromReturnUrl(string? returnUrl)
    {
        var query = returnUrl?.IndexOf('?') ?? -1;
        if (query < 0 || !returnUrl![..query].EndsWith("/connect/authorize", StringComparison.Ordinal))
        {
            return None;
        }

        return FromAcrValues(QueryHelpers.ParseQuery(returnUrl[query..]).GetValueOrDefault("acr_values").ToString());
    }
}
