using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Operations.Audit;

/// <summary>Which audit events an operator asks for; <see cref="Since"/> is inclusive, <see cref="Until"/> exclusive.</summary>
public sealed record AuditFilter
{
    public const int DefaultLimit = 100;

    public string? MemberUserId { get; init; }

    public DateTimeOffset? Since { get; init; }

    public DateTimeOffset? Until { get; init; }

    public string? Kind { get; init; }

    public int Limit { get; init; } = DefaultLimit;
}

public sealed record AuditEntry(DateTimeOffset OccurredAt, string Kind, string? UserId, string? Detail, string? RemoteAddress);

/// <summary>Audit events for the `audit` command, newest first, with the member's user ID instead of the internal id.</summary>
public sealed class AuditQuery(KosmoDbContext db)
{
    /// <summary>Every kind in <see cref="AuditKinds"/>, so a mistyped --kind is an error rather than an empty list.</summary>
    public static IReadOnlyList<string> KnownKinds { get; } = typeof(AuditKinds)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!)
        .Order(StringComparer.Ordinal)
        .ToList();

    public sealed class UnknownMemberException(string userId) : Exception($"No member with user ID '{Shared.PlainText.Printable(userId)}'.");

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(AuditFilter filter, CancellationToken cancellationToken)
    {
        var events = db.AuditEvents.AsNoTracking();
        if (filter.MemberUserId is { } userId)
        {
            var normalized = Member.Normalize(userId);
            var memberId = await db.Members.Where(m => m.NormalizedUserId == normalized).Select(m => (Guid?)m.Id).SingleOrDefaultAsync(cancellationToken)
                ?? throw new UnknownMemberException(userId);
            events = events.Where(e => e.MemberId == memberId);
        }

        if (filter.Since is { } since)
        {
            events = events.Where(e => e.OccurredAt >= since);
        }

        if (filter.Until is { } until)
        {
            events = events.Where(e => e.OccurredAt < until);
        }

        if (filter.Kind is { } kind)
        {
            events = events.Where(e => e.Kind == kind);
        }

        return await (
            from e in events
            join m in db.Members on e.MemberId equals m.Id into matched
            from m in matched.DefaultIfEmpty()
            orderby e.OccurredAt descending, e.Id descending
            select new AuditEntry(e.OccurredAt, e.Kind, m == null ? null : m.UserId, e.Detail, e.RemoteAddress))
            .Take(filter.Limit)
            .ToListAsync(cancellationToken);
    }
}
