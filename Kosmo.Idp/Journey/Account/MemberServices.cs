using System.Globalization;
using Kosmo.Idp.Protocol.Clients;
using OpenIddict.Abstractions;

namespace Kosmo.Idp.Journey.Account;

/// <summary>The relying apps a member can open from the provider (the portal's tiles, manual p.13): those with a home URL.</summary>
public sealed class MemberServices(IOpenIddictApplicationManager applications)
{
    public async Task<IReadOnlyList<MemberService>> ListAsync(CancellationToken cancellationToken)
    {
        var services = new List<MemberService>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            var properties = await applications.GetPropertiesAsync(application, cancellationToken);
            if (properties.TryGetValue(RelyingAppSync.HomeUrlProperty, out var home) && home.GetString() is { } url)
            {
                // OpenIddict picks the name for the page's language (RelyingApp.EnglishDisplayName), else the default one.
                var name = await applications.GetLocalizedDisplayNameAsync(application, CultureInfo.CurrentUICulture, cancellationToken) ?? url;
                services.Add(new MemberService(name, url));
            }
        }

        return services.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
    }
}

public sealed record MemberService(string Name, string HomeUrl);
