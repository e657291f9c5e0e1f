using Kosmo.Idp.Persistence;

namespace Kosmo.Idp.Members.Otp;

/// <summary>
/// Limits wrong app codes and recovery codes per member with the sign-in lockout's arithmetic
/// (free tries, then growing pauses), in the same database table, under a key of its own.
/// </summary>
public sealed class SecondFactorThrottle(KosmoDbContext db, SignInLockout lockout, TimeProvider time)
{
    public async Task<TimeSpan?> RemainingLockAsync(Guid memberId, CancellationToken cancellationToken) =>
        SignInLockout.RemainingLock(await db.SignInThrottles.FindAsync([KeyOf(memberId)], cancellationToken), time.GetUtcNow());

    /// <summary>Counts a wrong code; returns how long the member must now wait, if at all.</summary>
    public async Task<TimeSpan?> RecordFailureAsync(Guid memberId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var throttle = await db.SignInThrottles.FindAsync([KeyOf(memberId)], cancellationToken)
            ?? db.SignInThrottles.Add(new SignInThrottle { NormalizedUserId = KeyOf(memberId) }).Entity;
        lockout.RecordFailure(throttle, now);
        await db.SaveChangesAsync(cancellationToken);
        return SignInLockout.RemainingLock(throttle, now);
    }

    public async Task ClearAsync(Guid memberId, CancellationToken cancellationToken)
    {
        if (await db.SignInThrottles.FindAsync([KeyOf(memberId)], cancellationToken) is { } throttle)
        {
            db.SignInThrottles.Remove(throttle);
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>The throttle row's key. Lower case, so it never equals a user ID's row (those are upper-cased).</summary>
    public static string KeyOf(Guid memberId) => "otp:" + memberId.ToString("N");
}
