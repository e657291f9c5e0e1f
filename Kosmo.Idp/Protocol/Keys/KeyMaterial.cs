using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Tokens;

namespace Kosmo.Idp.Protocol.Keys;

/// <summary>Creates key material and moves it in and out of its protected (encrypted) stored form.</summary>
public sealed class KeyMaterial(IDataProtectionProvider dataProtection)
{
    private readonly IDataProtector _protector = dataProtection.CreateProtector("Kosmo.Idp.ProtocolKeys.v1");

    public ProtocolKey Create(ProtocolKeyPurpose purpose, int generation, DateTimeOffset now, DateTimeOffset activatesAt)
    {
        byte[] secret;
        if (purpose == ProtocolKeyPurpose.Signing)
        {
            using var rsa = RSA.Create(2048);
            secret = rsa.ExportPkcs8PrivateKey();
        }
        else
        {
            secret = RandomNumberGenerator.GetBytes(32);
        }

        try
        {
            return new ProtocolKey
            {
                Purpose = purpose,
                Generation = generation,
                KeyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                ProtectedMaterial = Convert.ToBase64String(_protector.Protect(secret)),
                CreatedAt = now,
                ActivatesAt = activatesAt,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    public byte[] Unprotect(ProtocolKey key) => _protector.Unprotect(Convert.FromBase64String(key.ProtectedMaterial));

    public SigningCredentials ToSigningCredentials(ProtocolKey key)
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Unprotect(key), out _);
        return new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = key.KeyId }, SecurityAlgorithms.RsaSha256);
    }

    public EncryptingCredentials ToEncryptingCredentials(ProtocolKey key) =>
        new(new SymmetricSecurityKey(Unprotect(key)) { KeyId = key.KeyId },
            SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512);
}
