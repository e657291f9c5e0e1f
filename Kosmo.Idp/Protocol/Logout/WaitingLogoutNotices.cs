using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;

namespace Kosmo.Idp.Protocol.Logout;

/// <summary>The logout tokens one relying app has not accepted yet, summed up for an operator.</summary>
public sealed record WaitingLogoutNotices(
    string ClientId, int Count, DateTimeOffset OldestSignOut, DateTimeOffset NextAttemptAt, int MostAttempts, string? LastFailure);

/// <summary>
/// Answers "is the back-channel logout reaching the apps?" for `clients logout-notices`: the queue
/// per app, so an app team can be told that its endpoint has been refusing logout tokens since when.
/// </summary>
public sealed class LogoutNoticeReport(KosmoDbContext db, IOpenIddictApplicationManager applications)
{
    public async Task<IReadOnlyList<WaitingLogoutNotices>> ByAppAsync(CancellationToken cancellationToken)
    {
        var groups = await db.LogoutNotices.AsNoTracking()
            .GroupBy(n => n.ApplicationId)
            .Select(g => new
            {
                ApplicationId = g.Key,
                Count = g.Count(),
                Oldest = g.Min(n => n.CreatedAt),
                Next = g.Min(n => n.NextAttemptAt),
                MostAttempts = g.Max(n => n.Attempts),
            })
            .ToListAsync(cancellationToken);

        var report = new List<WaitingLogoutNotices>();
        foreach (var group in groups)
        {
            // The failure of the notice tried most often is the app's answer over the longest time.
            var lastFailure = await db.LogoutNotices.AsNoTracking()
                .Where(n => n.ApplicationId == group.ApplicationId && n.LastFailure != null)
                .OrderByDescending(n => n.Attempts).ThenBy(n => n.Id)
                .Select(n => n.LastFailure)
                .FirstOrDefaultAsync(cancellationToken);
            var application = await applications.FindByIdAsync(group.ApplicationId, cancellationToken);
            var clientId = application is null ? null : await applications.GetClientIdAsync(application, cancellationToken);
            report.Add(new WaitingLogoutNotices(
                clientId ?? $"(removed app {group.ApplicationId})", group.Count, group.Oldest, group.Next, group.MostAttempts, lastFailure));
        }

        return report.OrderBy(r => r.ClientId, StringComparer.Ordinal).ToList();
    }
}
