using Kosmo.Idp.Members.Otp;
using System.Security.Cryptography;
using System.Text;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Journey.Otp;

/// <summary>
/// Ten codes like `K7QM-4XPD`, each usable once instead of a one-time password: how a member who
/// lost the phone still gets in. Issuing a set replaces the previous one.
/// </summary>
/// <remarks>
/// A code has about 2^40 possible values, few enough to try them all against a plain hash. So the
/// stored hash is an HMAC under a key of the provider's own (derived from the protected hashing key
/// that client secrets use, <see cref="ProtocolKeyRing"/>) over the member's ID and the code: a copy
/// of the table without the key ring and its certificate tests nothing offline, and even with them
/// each member's codes must be searched on their own. Sets issued before that (a plain SHA-256 of
/// the code) keep working until the member is given a new set, so an upgrade locks nobody out.
/// </remarks>
public sealed class RecoveryCodes(KosmoDbContext db, TimeProvider time, ProtocolKeyRing keys)
{
    public const int Count = 10;

    // No 0/O, 1/I/L: the codes are read off paper.
    private const string Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    /// <summary>Replaces the member's codes; the plain codes exist only in the returned list.</summary>
    public async Task<IReadOnlyList<string>> IssueAsync(Guid memberId, CancellationToken cancellationToken)
    {
        await db.RecoveryCodes.Where(c => c.MemberId == memberId).ExecuteDeleteAsync(cancellationToken);
        var now = time.GetUtcNow();
        var codes = Enumerable.Range(0, Count)
            .Select(_ => RandomNumberGenerator.GetString(Alphabet, 4) + "-" + RandomNumberGenerator.GetString(Alphabet, 4))
            .ToList();
        db.RecoveryCodes.AddRange(codes.Select(code => new RecoveryCode { MemberId = memberId, CodeHash = Hash(memberId, code), CreatedAt = now }));
        await db.SaveChangesAsync(cancellationToken);
        return codes;
    }

    /// <summary>Whether these are the member's current set, none of them used yet.</summary>
    public async Task<bool> AreCurrentAsync(Guid memberId, IReadOnlyList<string> shown, CancellationToken cancellationToken)
    {
        var hashes = shown.SelectMany(code => new[] { Hash(memberId, code), LegacyHash(code) }).ToList();
        var stored = await db.RecoveryCodes.Where(c => c.MemberId == memberId).Select(c => new { c.CodeHash, c.UsedAt }).ToListAsync(cancellationToken);
        return stored.Count == shown.Count && stored.All(c => c.UsedAt is null && hashes.Any(h => h.AsSpan().SequenceEqual(c.CodeHash)));
    }

    /// <summary>
    /// Which set the member holds now, as a form can carry it: a digest of the set's stored hashes,
    /// which tells nothing of the codes. Null when the member has none.
    /// </summary>
    public async Task<string?> CurrentSetStampAsync(Guid memberId, CancellationToken cancellationToken)
    {
        var stored = await db.RecoveryCodes.Where(c => c.MemberId == memberId).Select(c => c.CodeHash).ToListAsync(cancellationToken);
        if (stored.Count == 0)
        {
            return null;
        }

        stored.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        return Convert.ToHexString(SHA256.HashData(stored.SelectMany(hash => hash).ToArray()), 0, 16);
    }

    /// <summary>Whether the member holds a set at all, used or not.</summary>
    public Task<bool> HeldAsync(Guid memberId, CancellationToken cancellationToken) =>
        db.RecoveryCodes.AnyAsync(c => c.MemberId == memberId, cancellationToken);

    public Task<int> UnusedAsync(Guid memberId, CancellationToken cancellationToken) =>
        db.RecoveryCodes.CountAsync(c => c.MemberId == memberId && c.UsedAt == null, cancellationToken);

    /// <summary>Uses one code, once: marked used by a conditional update, so a code typed twice at once works once.</summary>
    public async Task<bool> RedeemAsync(Guid memberId, string? typed, CancellationToken cancellationToken)
    {
        var normalized = Normalize(typed);
        if (normalized is null)
        {
            return false;
        }

        var hash = Hash(memberId, normalized);
        var legacy = LegacyHash(normalized);
        var now = time.GetUtcNow();
        var used = await db.RecoveryCodes
            .Where(c => c.MemberId == memberId && (c.CodeHash == hash || c.CodeHash == legacy) && c.UsedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.UsedAt, now), cancellationToken);
        return used == 1;
    }

    /// <summary>Upper case, full-width folded, the hyphen optional: `k7qm 4xpd` is `K7QM-4XPD`.</summary>
    public static string? Normalize(string? typed)
    {
        if (string.IsNullOrWhiteSpace(typed) || typed.Length > 40)
        {
            return null;
        }

        var letters = new string(typed.Normalize(NormalizationForm.FormKC).ToUpperInvariant()
            .Where(c => !OtpCodeInput.IsSeparator(c)).ToArray());
        return letters.Length == 8 && letters.All(Alphabet.Contains) ? letters[..4] + "-" + letters[4..] : null;
    }

    private byte[]? _key;

    private byte[] Hash(Guid memberId, string code) =>
        HMACSHA256.HashData(_key ??= keys.HashKeyFor("kosmo recovery codes"), Encoding.UTF8.GetBytes(memberId.ToString("N") + ":" + code));

    private static byte[] LegacyHash(string code) => SHA256.HashData(Encoding.UTF8.GetBytes(code));
}
