using Kosmo.Idp.Members;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Tests.Members;

public sealed class SignInLockoutTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    private readonly SignInLockout _lockout = new(Options.Create(new SignInLockoutOptions
    {
        FreeAttempts = 5,
        FirstLockout = TimeSpan.FromMinutes(1),
        MaximumLockout = TimeSpan.FromMinutes(5),
    }));

    [Test]
    public void TheFreeAttempts_DoNotLock_TheNextFailureLocksForTheFirstPeriod()
    {
        var throttle = new SignInThrottle { NormalizedUserId = "A" };
        for (var i = 0; i < 5; i++)
        {
            _lockout.RecordFailure(throttle, Now);
            Assert.That(SignInLockout.RemainingLock(throttle, Now), Is.Null, $"failure {i + 1} is free");
        }

        _lockout.RecordFailure(throttle, Now);
        Assert.That(SignInLockout.RemainingLock(throttle, Now), Is.EqualTo(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public void EachFurtherFailure_DoublesTheLock_UpToTheCeiling()
    {
        var throttle = new SignInThrottle { NormalizedUserId = "A" };
        var locks = new List<TimeSpan?>();
        for (var i = 0; i < 10; i++)
        {
            _lockout.RecordFailure(throttle, Now);
            locks.Add(SignInLockout.RemainingLock(throttle, Now));
        }

        Assert.That(locks.Skip(5).Select(l => l!.Value.TotalMinutes), Is.EqualTo(new[] { 1d, 2d, 4d, 5d, 5d }));
    }

    [Test]
    public void ALockEnds_WhenItsTimeHasPassed()
    {
        var throttle = new SignInThrottle { NormalizedUserId = "A", FailedCount = 5, LastFailureAt = Now };
        _lockout.RecordFailure(throttle, Now);
        Assert.That(SignInLockout.RemainingLock(throttle, Now + TimeSpan.FromMinutes(1)), Is.Null);
    }
}
