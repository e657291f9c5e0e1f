using Kosmo.Idp.Journey.Email;
using Kosmo.Idp.Members;
using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Operations.Maintenance;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Kosmo.Idp.Tests.Operations;

public sealed class PruningTests
{
    [Test]
    public async Task APass_DeletesWhatNoLongerMatters_InBatches_AndKeepsWhatDoes()
    {
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["Pruning:BatchSize"] = "100" });
        var member = await TestMembers.AddAsync(factory, "P0001", "Prune-Member-2026");
        var now = DateTimeOffset.UtcNow;
        var old = now.AddDays(-3);
        await TestMembers.WithDbAsync(factory, async db =>
        {
            db.EmailVerifications.AddRange(Enumerable.Range(0, 250).Select(i => new EmailVerification
            {
                MemberId = member.Id, Email = "x@example.jp", TokenHash = Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray(),
                SentAt = old, ExpiresAt = old.AddHours(1),
            }));
            db.EmailVerifications.Add(new EmailVerification { MemberId = member.Id, Email = "live@example.jp", TokenHash = [1, 2, 3], SentAt = now, ExpiresAt = now.AddHours(1) });
            db.TotpDevices.Add(new TotpDevice { MemberId = member.Id, ProtectedSecret = "abandoned", CreatedAt = old });
            db.TotpDevices.Add(new TotpDevice { MemberId = member.Id, ProtectedSecret = "in use", CreatedAt = old, ConfirmedAt = old });
            db.SignInThrottles.Add(new SignInThrottle { NormalizedUserId = "FORGOTTEN", FailedCount = 2, LastFailureAt = old });
            db.SignInThrottles.Add(new SignInThrottle { NormalizedUserId = "RECENT", FailedCount = 2, LastFailureAt = now });
            // Past the 12 hours a session lives in all, a signed-out session's cookie is refused anyway.
            db.EndedSessions.Add(new Kosmo.Idp.Journey.EndedSession { SessionId = "OLD", MemberId = member.Id, EndedAt = now.AddHours(-13) });
            db.EndedSessions.Add(new Kosmo.Idp.Journey.EndedSession { SessionId = "RECENT", MemberId = member.Id, EndedAt = now.AddHours(-11) });
            return await db.SaveChangesAsync();
        });

        PruneReport? report;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            report = await scope.ServiceProvider.GetRequiredService<Pruner>().RunOnceAsync(CancellationToken.None);
        }

        Assert.That(report, Is.Not.Null);
        Assert.That((report!.EmailVerifications, report.AbandonedAppSetups, report.SignInThrottles), Is.EqualTo((250L, 1L, 1L)));
        var left = await TestMembers.WithDbAsync(factory, async db => (
            await db.EmailVerifications.Select(v => v.Email).ToListAsync(),
            await db.TotpDevices.Select(d => d.ProtectedSecret).ToListAsync(),
            await db.SignInThrottles.Select(t => t.NormalizedUserId).ToListAsync()));
        Assert.That(left.Item1, Is.EqualTo(new[] { "live@example.jp" }));
        Assert.That(left.Item2, Is.EqualTo(new[] { "in use" }));
        Assert.That(left.Item3, Is.EqualTo(new[] { "RECENT" }));
        Assert.That(report.EndedSessions, Is.EqualTo(1));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.EndedSessions.Select(e => e.SessionId).ToListAsync()), Is.EqualTo(new[] { "RECENT" }));
    }

    [Test]
    public async Task WhatALiveSignInStillUses_OutlivesAShortMinimumAge_SoAReplayedRefreshTokenStillRevokesItsFamily()
    {
        const string password = "Prune-Replay-2026";
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        await using var factory = await KosmoFactory.StartAsync(
            new Dictionary<string, string?> { ["Pruning:MinimumAge"] = "01:00:00", ["Pruning:Enabled"] = "false" },
            services => services.AddSingleton<TimeProvider>(clock));
        await TestMembers.AddAsync(factory, "P0002", password);
        var app = TestRelyingApp.Portal(factory);
        var first = await app.SignedInTokensAsync("P0002", password);
        // Someone who copied the first refresh token uses it before the app does.
        var stolen = await app.RefreshAsync(first.RefreshToken!);
        Assert.That(stolen.RefreshToken, Is.Not.Null);

        // Two hours on, past the minimum age but well inside the 12 hours the sign-in may live.
        clock.Advance(TimeSpan.FromHours(2));
        PruneReport? report;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            report = await scope.ServiceProvider.GetRequiredService<Pruner>().RunOnceAsync(CancellationToken.None);
        }

        Assert.That((report!.Tokens, report.Authorizations), Is.EqualTo((0L, 0L)), "the sign-in's tokens and authorization are still its own");
        var replay = await app.RefreshAsync(first.RefreshToken!);
        Assert.That(replay.Error, Is.EqualTo("invalid_grant"));
        Assert.That((await app.RefreshAsync(stolen.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "the replay ended the whole family, the copy's tokens too");
    }

    [Test]
    public async Task WhileAnotherReplicaIsPruning_APassStepsAside()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var otherReplica = new NpgsqlConnection(factory.ConnectionString);
        await otherReplica.OpenAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({Pruner.LockKey})", otherReplica))
        {
            await take.ExecuteScalarAsync();
        }

        await using var scope = factory.Services.CreateAsyncScope();
        var pruner = scope.ServiceProvider.GetRequiredService<Pruner>();
        Assert.That(await pruner.RunOnceAsync(CancellationToken.None), Is.Null, "skipped while the lock is held");

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({Pruner.LockKey})", otherReplica))
        {
            await release.ExecuteScalarAsync();
        }

        Assert.That(await pruner.RunOnceAsync(CancellationToken.None), Is.Not.Null, "and runs once it is free");
    }
}
