using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;

namespace Kosmo.Idp.Protocol.Keys;

/// <summary>
/// The keys this process uses right now, decrypted once per change rather than per request.
/// A change (a rotation seen in the database, or a key becoming active) fires a change token so
/// OpenIddict's options are rebuilt with the new set.
/// </summary>
public sealed class ProtocolKeyRing(KeyMaterial material)
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _changed = new();
    private string _fingerprint = "";

    public IReadOnlyList<SigningCredentials> Signing { get; private set; } = [];

    public IReadOnlyList<EncryptingCredentials> Encryption { get; private set; } = [];

    public byte[] ClientSecretHashKey { get; private set; } = [];

    /// <summary>
    /// A key of its own for each other secret the provider keeps only a keyed hash of (recovery
    /// codes, mailed codes), derived from the protected hashing key: a copy of the database without
    /// the key ring and its certificate can test none of them offline.
    /// </summary>
    public byte[] HashKeyFor(string purpose) => ClientSecretHashKey.Length > 0
        ? HKDF.DeriveKey(HashAlgorithmName.SHA256, ClientSecretHashKey, HMACSHA256.HashSizeInBytes, info: Encoding.UTF8.GetBytes(purpose))
        : throw new InvalidOperationException("The provider's hashing key is not loaded.");

    public bool IsLoaded => Signing.Count > 0;

    public IChangeToken ChangeToken
    {
        get
        {
            lock (_gate)
            {
                return new CancellationChangeToken(_changed.Token);
            }
        }
    }

    public void Load(IReadOnlyCollection<ProtocolKey> keys, DateTimeOffset now, TimeSpan retention)
    {
        var signing = KeySchedule.InUse(keys.Where(k => k.Purpose == ProtocolKeyPurpose.Signing), now, retention);
        var encryption = KeySchedule.InUse(keys.Where(k => k.Purpose == ProtocolKeyPurpose.Encryption), now, retention);
        var hashing = keys.Where(k => k.Purpose == ProtocolKeyPurpose.ClientSecretHashing).MinBy(k => k.Generation);
        if (signing.Count == 0 || encryption.Count == 0 || hashing is null)
        {
            throw new InvalidOperationException("The protocol keys have not been created; run `migrate` first.");
        }

        var fingerprint = string.Join(",", signing.Concat(encryption).Append(hashing).Select(k => k.KeyId));
        CancellationTokenSource previous;
        lock (_gate)
        {
            if (fingerprint == _fingerprint)
            {
                return;
            }

            Signing = signing.Select(material.ToSigningCredentials).ToList();
            Encryption = encryption.Select(material.ToEncryptingCredentials).ToList();
            ClientSecretHashKey = material.Unprotect(hashing);
            _fingerprint = fingerprint;
            previous = _changed;
            _changed = new CancellationTokenSource();
        }

        previous.Cancel();
    }
}
