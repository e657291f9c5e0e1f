using System.Diagnostics;
using Kosmo.Idp.Members;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Tests.Members;

/// <summary>
/// The login's answer must not tell a user ID from an unknown one by its time, also after an
/// operator raised the Argon2id settings and members still have hashes made with the old ones.
/// Only lower bounds are asserted: a busy machine makes every check slower, never faster.
/// </summary>
public sealed class PasswordHashingTests
{
    [TestCase("a-guess-2026")]
    [TestCase("ｱｲｳ-guess-2026", TestName = "{m}(a guess NFKC changes, which both paths check in two forms)")]
    public async Task AWrongPassword_AgainstAHashMadeWithCheaperSettings_TakesAsLongAsAnUnknownUserId(string guess)
    {
        var raised = new PasswordHashing(Options.Create(new PasswordHashingOptions { Iterations = 3, MemoryBytes = 64 * 1024 * 1024 }));
        var before = new PasswordHashing(Options.Create(new PasswordHashingOptions { Iterations = 1, MemoryBytes = 8 * 1024 * 1024 }));
        var member = new Member { UserId = "H0001", NormalizedUserId = "H0001", PasswordHash = before.Hash("the-old-password-1") };

        var unknown = TimeSpan.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            unknown = Min(unknown, await TimeAsync(() => raised.CheckSignInAsync(null, guess, CancellationToken.None), PasswordCheck.Wrong));
        }

        var outdated = TimeSpan.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            outdated = Min(outdated, await TimeAsync(() => raised.CheckSignInAsync(member, guess, CancellationToken.None), PasswordCheck.Wrong));
        }

        Assert.That(outdated, Is.GreaterThanOrEqualTo(unknown * 0.8),
            "the old hash alone verifies in a fraction of the time: the answer waits out the rest");
        Assert.That(await raised.CheckSignInAsync(member, "the-old-password-1", CancellationToken.None), Is.EqualTo(PasswordCheck.CorrectButOutdated),
            "the right password still signs in, and is upgraded");
    }

    [TestCase("パスワード12345a", "ﾊﾟｽﾜｰﾄﾞ12345a", TestName = "full-width and half-width katakana")]
    [TestCase("ｶﾞｲﾄﾞ-2026x", "ガイド-2026x", TestName = "half-width katakana and full-width")]
    [TestCase("ab\u3000cd-1234", "ab cd-1234", TestName = "an ideographic space and a space")]
    [TestCase("cafe\u0301-2026", "caf\u00e9-2026", TestName = "a combining accent and the composed letter")]
    public void TwoFormsOfTheSameCharacters_AreOnePassword(string set, string typed)
    {
        var hashing = new PasswordHashing(Options.Create(new PasswordHashingOptions()));
        var hash = hashing.Hash(set);
        Assert.That(hashing.Verify(hash, typed), Is.EqualTo(PasswordCheck.Correct));
        Assert.That(hashing.Verify(hash, set), Is.EqualTo(PasswordCheck.Correct));
        Assert.That(hashing.Verify(hash, typed + "x"), Is.EqualTo(PasswordCheck.Wrong));
    }

    [Test]
    public void APasswordThatIsNotValidUnicode_IsWrong_NotAFailure()
    {
        var hashing = new PasswordHashing(Options.Create(new PasswordHashingOptions()));
        Assert.That(hashing.Verify(hashing.Hash("right-password-1"), "right\ud800-password-1"), Is.EqualTo(PasswordCheck.Wrong));
        Assert.That(hashing.Verify(null, "\udc00"), Is.EqualTo(PasswordCheck.Wrong));
    }

    private static async Task<TimeSpan> TimeAsync(Func<Task<PasswordCheck>> check, PasswordCheck expected)
    {
        var started = Stopwatch.GetTimestamp();
        Assert.That(await check(), Is.EqualTo(expected));
        return Stopwatch.GetElapsedTime(started);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
