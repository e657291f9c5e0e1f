using System.Security.Cryptography;
using System.Text;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace Kosmo.Idp.Protocol.Clients;

/// <summary>
/// Client secrets are checked with one HMAC-SHA256 under a provider key instead of OpenIddict's
/// default PBKDF2. Secrets are long generated values, so a slow hash adds no safety; it only
/// caps token throughput (PBKDF2 on every client-credentials request). The key lives in the
/// database in protected form, so a stolen table of hashes alone cannot be tested offline.
/// </summary>
public sealed class KeyedClientSecretManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    ProtocolKeyRing keys)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    private const string Prefix = "hmac-sha256:";

    protected override ValueTask<string> ObfuscateClientSecretAsync(string secret, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Prefix + Convert.ToBase64String(Mac(secret)));

    protected override ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken)
    {
        if (!comparand.StartsWith(Prefix, StringComparison.Ordinal))
        {
            // A secret stored by OpenIddict's own format (PBKDF2) still works.
            return base.ValidateClientSecretAsync(secret, comparand, cancellationToken);
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Convert.TryFromBase64String(comparand[Prefix.Length..], expected, out var written) || written != expected.Length)
        {
            return ValueTask.FromResult(false);
        }

        return ValueTask.FromResult(CryptographicOperations.FixedTimeEquals(Mac(secret), expected));
    }

    private byte[] Mac(string secret) => keys.ClientSecretHashKey.Length > 0
        ? HMACSHA256.HashData(keys.ClientSecretHashKey, Encoding.UTF8.GetBytes(secret))
        : throw new InvalidOperationException("The client-secret hashing key is not loaded.");
}
