using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Persistence;

/// <summary>
/// The certificate that encrypts the Data Protection key ring (none in Development), and whether it
/// is the one the stored ring was encrypted with. A replica given another certificate cannot read
/// the ring; Data Protection would then add a key of its own, encrypted so that no other replica
/// can read it, and every correct replica would log errors about it from then on. Caught here,
/// before that key is written, with both certificates named.
/// </summary>
public sealed class KeyRingCertificate(X509Certificate2? certificate, TimeProvider time)
{
    /// <summary>
    /// Throws, naming both certificates, when this process could not read the stored ring. Otherwise
    /// a warning, or null: keys stored unencrypted although this process has a certificate.
    /// </summary>
    public async Task<string?> EnsureItReadsTheRingAsync(KosmoDbContext db, CancellationToken cancellationToken)
    {
        var ring = (await db.DataProtectionKeys.AsNoTracking().Select(key => key.Xml).ToListAsync(cancellationToken))
            .OfType<string>().Select(xml => XElement.Parse(xml)).ToList();
        if (MismatchIn(ring) is { } mismatch)
        {
            throw new Kosmo.Idp.Operations.Startup.SettingRefusedException(mismatch);
        }

        return UnencryptedIn(ring);
    }

    /// <summary>
    /// A process without a certificate (a Development run pointed at this database) stores its keys in
    /// plain text: they read as well as the others, so nothing fails, but whoever copies the database
    /// can decrypt what they protect. Said, with the remedy; refusing to start would not make them secret.
    /// </summary>
    public string? UnencryptedIn(IEnumerable<XElement> ring)
    {
        if (certificate is null)
        {
            return null;
        }

        var plain = ring.Where(element => element.Name.LocalName == "key" && EncryptedTo(element) is null)
            .Select(key => key.Attribute("id")?.Value ?? "?").ToList();
        return plain.Count == 0
            ? null
            : $"{plain.Count} Data Protection key(s) in the database are stored unencrypted ({string.Join(", ", plain)}), written by a process without "
                + "DataProtection:CertificatePath (a Development run against this database?): a copy of the database reveals what they protect. See docs/operations.md, \"An unencrypted key in the ring\".";
    }

    /// <summary>
    /// Null when this process can read at least one of the ring's keys, the current ones first (or
    /// there are none yet); otherwise why not. Expired keys count when no current one is left (a
    /// database restored from an old backup): they still decrypt what they protected.
    /// </summary>
    public string? MismatchIn(IEnumerable<XElement> ring)
    {
        var now = time.GetUtcNow();
        var keys = ring.Where(element => element.Name.LocalName == "key").ToList();
        var live = keys.Where(key => !ExpiredBy(key, now)).ToList();
        var current = (live.Count > 0 ? live : keys).Select(EncryptedTo).ToList();
        if (current.Count == 0 || current.Any(to => to is null || (certificate is not null && to.AsSpan().SequenceEqual(certificate.RawData))))
        {
            return null;
        }

        var theirs = string.Join(", ", current.Select(to => Describe(to!)).Distinct());
        return certificate is null
            ? $"The Data Protection key ring in the database is encrypted with the certificate {theirs}, and DataProtection:CertificatePath names none: set the certificate the other replicas use."
            : $"DataProtection:CertificatePath names the certificate {Describe(certificate.RawData)}, but the Data Protection key ring in the database is encrypted with {theirs}: "
                + "set the certificate the other replicas use (this one could not read the ring, and a key it added would be unreadable to them).";
    }

    private static bool ExpiredBy(XElement key, DateTimeOffset now) =>
        DateTimeOffset.TryParse(key.Element("expirationDate")?.Value, out var expires) && expires <= now;

    /// <summary>The certificate (DER) a key's secret is encrypted to; null for a key stored unencrypted (Development).</summary>
    private static byte[]? EncryptedTo(XElement key)
    {
        var encoded = key.Descendants().FirstOrDefault(e => e.Name.LocalName == "encryptedSecret")
            ?.Descendants().FirstOrDefault(e => e.Name.LocalName == "X509Certificate")?.Value;
        if (encoded is null)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(encoded.Trim());
        }
        catch (FormatException)
        {
            return [];
        }
    }

    private static string Describe(byte[] der)
    {
        try
        {
            using var described = X509CertificateLoader.LoadCertificate(der);
            return $"{described.Subject} (thumbprint {described.Thumbprint}, valid until {described.NotAfter:yyyy-MM-dd})";
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return "(unreadable certificate)";
        }
    }
}
