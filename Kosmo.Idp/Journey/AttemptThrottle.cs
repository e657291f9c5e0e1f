using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;

namespace Kosmo.Idp.Journey;

/// <summary>
/// Limits wrong secrets with the sign-in lockout's arithmetic (free tries, then growing pauses),
/// kept in the database (sign_in_throttles) so every replica sees it. A user ID's row counts wrong
/// passwords, typed on the login page or as the current password on the account page; a member's
/// second-factor row counts wrong app and recovery codes.
/// </summary>
public sealed class AttemptThrottle(KosmoDbContext db, SignInLockout lockout, TimeProvider time)
{
    /// <summary>The second-factor row's key. Lower case, so it never equals a user ID's row (those are upper-cased).</summary>
    public static string SecondFactorKey(Guid memberId) => "otp:" + memberId.ToString("N");

    /// <summary>Runs one attempt at the secret counted under <paramref name="key"/>, after any other attempt at it has finished (see <see cref="OneAtATime"/>).</summary>
    public Task<T> OneAttemptAtATimeAsync<T>(string key, Func<Task<T>> attempt, CancellationToken cancellationToken) =>
        OneAtATime.RunAsync(db, key, attempt, cancellationToken);

    public async Task<TimeSpan?> RemainingLockAsync(string key, CancellationToken cancellationToken) =>
        SignInLockout.RemainingLock(await db.SignInThrottles.FindAsync([key], cancellationToken), time.GetUtcNow());

    /// <summary>Counts a wrong secret; returns how long the member must now wait, if at all.</summary>
    public async Task<TimeSpan?> RecordFailureAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var throttle = await db.SignInThrottles.FindAsync([key], cancellationToken)
            ?? db.SignInThrottles.Add(new SignInThrottle { NormalizedUserId = key }).Entity;
        lockout.RecordFailure(throttle, now);
        await db.SaveChangesAsync(cancellationToken);
        return SignInLockout.RemainingLock(throttle, now);
    }

    /// <summary>Wrong tries left under <paramref name="key"/> before a pause, so a page can warn before it comes.</summary>
    public async Task<int> FreeTriesLeftAsync(string key, CancellationToken cancellationToken) =>
        lockout.FreeTriesLeft(await db.SignInThrottles.FindAsync([key], cancellationToken));

    /// <summary>The words for a wrong code that started no pause: the page's own message, and how many tries are left.</summary>
    public async Task<string> WrongCodeMessageAsync(
        string key, string wrong, Microsoft.Extensions.Localization.IStringLocalizer<Localization.Strings> text, CancellationToken cancellationToken) =>
        await FreeTriesLeftAsync(key, cancellationToken) is var left && left > 0
            ? Localization.Sentences.Join(text[wrong], text["Otp.TriesBeforePause", left])
            : Localization.Sentences.Join(text[wrong], text["Otp.NextWrongPauses"]);

    public async Task ClearAsync(string key, CancellationToken cancellationToken)
    {
        if (await db.SignInThrottles.FindAsync([key], cancellationToken) is { } throttle)
        {
            db.SignInThrottles.Remove(throttle);
            await db.SaveChangesAsync(cancellationToken);
        }
    }
}
