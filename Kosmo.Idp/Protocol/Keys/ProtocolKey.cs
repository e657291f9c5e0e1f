namespace Kosmo.Idp.Protocol.Keys;

/// <summary>
/// A key the provider generated for itself: token signing (RSA, published in the JWKS), token
/// encryption (AES, for codes and refresh tokens only the provider reads) or the client-secret
/// hashing key. Stored only in protected (encrypted) form; every replica and restart loads the
/// same rows.
/// </summary>
public sealed class ProtocolKey
{
    public ProtocolKeyPurpose Purpose { get; set; }

    /// <summary>Consecutive per purpose, unique with it: two replicas creating the same key collide instead of both succeeding.</summary>
    public int Generation { get; set; }

    /// <summary>The JWK "kid".</summary>
    public required string KeyId { get; set; }

    public required string ProtectedMaterial { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>From this moment the key signs or encrypts; until then it is only published, so relying apps learn it first.</summary>
    public DateTimeOffset ActivatesAt { get; set; }
}

public enum ProtocolKeyPurpose
{
    Signing = 1,
    Encryption = 2,
    ClientSecretHashing = 3,
}
