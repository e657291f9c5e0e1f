using OpenIddict.Abstractions;

namespace Kosmo.Idp.Protocol.Apis;

/// <summary>The audiences (<c>aud</c>) of an access token: the APIs of the API scopes it was granted.</summary>
public sealed class ApiAudiences(IOpenIddictScopeManager scopes)
{
    public async Task<List<string>> OfAsync(IEnumerable<string> granted, CancellationToken cancellationToken)
    {
        // The standard scopes name no API: a token without API scopes costs no query.
        var names = granted.Except(ProtocolRegistration.StandardScopes, StringComparer.Ordinal).ToList();
        var audiences = new List<string>();
        if (names.Count == 0)
        {
            return audiences;
        }

        await foreach (var resource in scopes.ListResourcesAsync([.. names], cancellationToken))
        {
            audiences.Add(resource);
        }

        return audiences.Distinct(StringComparer.Ordinal).ToList();
    }
}
