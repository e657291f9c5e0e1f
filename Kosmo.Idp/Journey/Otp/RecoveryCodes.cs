using Kosmo.Idp.Members.Otp;
using System.Security.Cryptography;
using System.Text;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Journey.Otp;

/// <summary>
/// Ten codes like `K7QM-4XPD`, each usable once instead of a one-time password: how a member who
/// lost the phone still gets in. Issuing a set replaces the previous one.
/// </summary>
public sealed class RecoveryCodes(KosmoDbContext db, TimeProvider time)
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
        db.RecoveryCodes.AddRange(codes.Select(code => new RecoveryCode { MemberId = memberId, CodeHash = Hash(code), CreatedAt = now }));
        await db.SaveChangesAsync(cancellationToken);
        return codes;
    }

    /// <summary>Whether these are the member's current set, none of them used yet.</summary>
    public async Task<bool> AreCurrentAsync(Guid memberId, IReadOnlyList<string> shown, CancellationToken cancellationToken)
    {
        var hashes = shown.Select(Hash).ToList();
        var stored = await db.RecoveryCodes.Where(c => c.MemberId == memberId).Select(c => new { c.CodeHash, c.UsedAt }).ToListAsync(cancellationToken);
        return stored.Count == hashes.Count && stored.All(c => c.UsedAt is null && hashes.Any(h => h.AsSpan().SequenceEqual(c.CodeHash)));
    }

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

        var hash = Hash(normalized);
        var now = time.GetUtcNow();
        var used = await db.RecoveryCodes
            .Where(c => c.MemberId == memberId && c.CodeHash == hash && c.UsedAt == null)
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
            .Where(c => c is not (' ' or '-')).ToArray());
        return letters.Length == 8 && letters.All(Alphabet.Contains) ? letters[..4] + "-" + letters[4..] : null;
    }

    private static byte[] Hash(string code) => SHA256.HashData(Encoding.UTF8.GetBytes(code));
}
