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

    /// <summary>
    /// The values come in order of preference (OpenID Connect Core 3.1.2.1): a list that also names
    /// a level a mailed code meets accepts that, and only the app's level alone demands the app.
    /// Values discovery does not list (acr_values_supported) are ignored, urn:kosmo:acr:pwd among them:
    /// no member signs in with the password alone any more.
    /// </summary>
    public static AuthenticationDemand FromAcrValues(string? acrValues)
    {
        var values = acrValues?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return new(values.Contains(AuthenticationMethods.AcrApp) && !values.Contains(AuthenticationMethods.AcrMultiFactor));
    }

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
