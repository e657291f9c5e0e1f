using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using OpenIddict.Server;

namespace Kosmo.Idp.Protocol.Keys;

/// <summary>Feeds the key ring into OpenIddict, and rebuilds OpenIddict's options when the ring changes.</summary>
internal sealed class OpenIddictKeyConfiguration(ProtocolKeyRing ring)
    : IConfigureOptions<OpenIddictServerOptions>, IOptionsChangeTokenSource<OpenIddictServerOptions>
{
    public string Name => Options.DefaultName;

    public void Configure(OpenIddictServerOptions options)
    {
        if (!ring.IsLoaded)
        {
            throw new InvalidOperationException("OpenIddict was used before the protocol keys were loaded.");
        }

        // OpenIddict signs with the first credential of a kind and publishes all of them.
        options.SigningCredentials.AddRange(ring.Signing);
        options.EncryptionCredentials.AddRange(ring.Encryption);
    }

    public IChangeToken GetChangeToken() => ring.ChangeToken;
}
