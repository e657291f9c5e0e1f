using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Members;

/// <summary>
/// Lockout arithmetic for wrong passwords: a few free tries, then each further failure locks the
/// user ID for a period that doubles up to a ceiling. Guessing stays slow, and a member who
/// mistyped a few times is never locked out for long.
/// </summary>
public sealed class SignInLockout(IOptions<SignInLockoutOptions> options)
{
    private readonly SignInLockoutOptions _options = options.Value;

    public static TimeSpan? RemainingLock(SignInThrottle? throttle, DateTimeOffset now) =>
        throttle?.LockedUntil is { } until && until > now ? until - now : null;

    /// <summary>Wrong tries left before the next one starts a pause (0: the next wrong one pauses).</summary>
    public int FreeTriesLeft(SignInThrottle? throttle) => Math.Max(0, _options.FreeAttempts - (throttle?.FailedCount ?? 0));

    public void RecordFailure(SignInThrottle throttle, DateTimeOffset now)
    {
        // A long quiet spell forgives earlier failures.
        if (now - throttle.LastFailureAt > _options.FailureMemory)
        {
            throttle.FailedCount = 0;
        }

        throttle.FailedCount++;
        throttle.LastFailureAt = now;
        var beyondFree = throttle.FailedCount - _options.FreeAttempts;
        if (beyondFree <= 0)
        {
            return;
        }

        var factor = Math.Pow(2, Math.Min(beyondFree - 1, 16));
        throttle.LockedUntil = now + TimeSpan.FromTicks((long)Math.Min(_options.FirstLockout.Ticks * factor, _options.MaximumLockout.Ticks));
    }
}

/// <summary>Checked at start: a negative or zero value would switch the lockout off without a word.</summary>
public sealed class SignInLockoutOptions : IValidatableObject
{
    public const string Section = "SignInLockout";

    /// <summary>Wrong passwords allowed before the first lock; the next one locks.</summary>
    [Range(1, 100)]
    public int FreeAttempts { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FirstLockout { get; set; } = TimeSpan.FromMinutes(1);

    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaximumLockout { get; set; } = TimeSpan.FromHours(1);

    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan FailureMemory { get; set; } = TimeSpan.FromHours(24);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaximumLockout < FirstLockout)
        {
            yield return new ValidationResult("SignInLockout:MaximumLockout cannot be shorter than SignInLockout:FirstLockout.", [nameof(MaximumLockout)]);
        }

        // Otherwise the first failure after a long lock would be forgiven its predecessors: free tries again.
        if (FailureMemory <= MaximumLockout)
        {
            yield return new ValidationResult("SignInLockout:FailureMemory must be longer than SignInLockout:MaximumLockout.", [nameof(FailureMemory)]);
        }
    }
}
