using Kosmo.Idp.Journey.Email;
using Kosmo.Idp.Mail;
using Kosmo.Idp.Members;
using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using static Kosmo.Idp.Tests.Journey.JourneySteps;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Tests.Operations;

[NonParallelizable] // the command-line tests set environment variables and the console, as an operator's shell would
public sealed class MemberCommandsTests
{
    // Not the manual's example (123, 4567, 1984-10-07), which the mail quotes to explain the rule.
    private const string RulePassword = "456789019900505";

    [Test]
    public async Task Show_PrintsTheMembersState_AndNoSecret()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026", displayName: "山田 太郎");
        await AddMfaAsync(factory, member);
        await AddThrottleAsync(factory, "k0001", lockedFor: TimeSpan.FromMinutes(5));

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "show", "k0001");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("K0001").And.Contain("山田 太郎"));
        Assert.That(output, Does.Contain("chosen by the member"));
        Assert.That(output, Does.Contain("LOCKED until").And.Contain("after 6 wrong passwords"));
        Assert.That(output, Does.Contain("k0001@example.jp (verified"));
        Assert.That(output, Does.Contain("1 confirmed, 0 not confirmed").And.Contain("iPhone"));
        Assert.That(output, Does.Contain("9 unused"));
        Assert.That(output, Does.Not.Contain(member.PasswordHash!).And.Not.Contain("$argon2id").And.Not.Contain("protected-secret"));
    }

    [Test]
    public async Task Unlock_ClearsABirthdateLockAndTheSignInThrottle_AuditsIt_AndMailsTheMember()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var catcher = await MailCatcher.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");
        await UpdateAsync(factory, member, m =>
        {
            m.LockedAt = DateTimeOffset.UtcNow;
            m.LockReason = MemberLockReason.BirthDateAttempts;
            m.BirthDateFailures = 5;
        });
        await AddThrottleAsync(factory, "K0001", lockedFor: TimeSpan.FromMinutes(5));

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, OperatorShell.MailThrough(catcher),
            "members", "unlock", "K0001", "--reason", "member called, ticket 42");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("K0001 unlocked").And.Contain("BirthDateAttempts").And.Contain("sign-in lockout cleared"));
        var unlocked = await FindAsync(factory, "K0001");
        Assert.That((unlocked.LockedAt, unlocked.LockReason, unlocked.BirthDateFailures), Is.EqualTo(((DateTimeOffset?)null, (MemberLockReason?)null, 0)));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.SignInThrottles.AnyAsync()), Is.False);
        var audit = await AuditOfAsync(factory, member, AuditKinds.AccountUnlocked);
        Assert.That(audit.Detail, Does.Contain($"by {Environment.UserName}").And.Contain("ticket 42").And.Contain("member mailed"));
        var mail = catcher.To("k0001@example.jp").Single();
        Assert.That(mail.Subject, Is.EqualTo("【KOSMOWeb】アカウントのお知らせ（アカウントのロック解除）"));
        Assert.That(mail.Text, Does.Contain("ロックを解除しました").And.Contain("お問い合わせください").And.Contain("unlocked"));
    }

    [Test]
    public async Task Unlock_OfCodesHeldBackOnlyForTheNumberOfMails_KeepsTheCodeLastMailed()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0093", "password-k0093");
        var code = new byte[] { 1, 2, 3 };
        await TestMembers.WithDbAsync(factory, async db =>
        {
            var now = DateTimeOffset.UtcNow;
            db.EmailOtpChallenges.Add(new EmailOtpChallenge
            {
                MemberId = member.Id, CodeHash = code, SentAt = now.AddMinutes(-1), ExpiresAt = now.AddMinutes(9),
                WindowStartedAt = now.AddMinutes(-10), SendsInWindow = 5, Failures = 1,
            });
            return await db.SaveChangesAsync();
        });

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "unlock", "K0093");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("the code last mailed still works"));
        var released = await TestMembers.WithDbAsync(factory, db => db.EmailOtpChallenges.SingleAsync(c => c.MemberId == member.Id));
        Assert.That((released.Failures, released.SendsInWindow, released.CodeHash), Is.EqualTo((0, 0, code)), "the member may be typing it right now");
    }

    [Test]
    public async Task Unlock_ReleasesCodesByMailHeldBackForTheHour_SoTheNextLoginGetsACodeAtOnce()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0092", "password-k0092");
        await TestMembers.WithDbAsync(factory, async db =>
        {
            var now = DateTimeOffset.UtcNow;
            db.EmailOtpChallenges.Add(new EmailOtpChallenge
            {
                MemberId = member.Id, CodeHash = new byte[32], SentAt = now.AddMinutes(-5), ExpiresAt = now.AddMinutes(5),
                WindowStartedAt = now.AddMinutes(-10), SendsInWindow = 2, Failures = 5,
            });
            return await db.SaveChangesAsync();
        });

        var (_, shown, _) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "show", "K0092");
        Assert.That(shown, Does.Contain("Codes by mail").And.Contain("HELD BACK until").And.Contain("5 wrong codes"), "the operator sees why before unlocking");

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "unlock", "K0092");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("K0092 unlocked").And.Contain("codes by mail released (5 wrong codes"));
        var released = await TestMembers.WithDbAsync(factory, db => db.EmailOtpChallenges.SingleAsync(c => c.MemberId == member.Id));
        Assert.That((released.Failures, released.SendsInWindow, released.CodeHash.Length), Is.EqualTo((0, 0, 0)), "a new hour, and the guessed-at code is dead");
        Assert.That((await AuditOfAsync(factory, member, AuditKinds.AccountUnlocked)).Detail, Does.Contain("codes by mail released"));

        var browser = factory.Browser();
        var codePage = await Journey.JourneySteps.LoginAsync(browser, "K0092", "password-k0092");
        Assert.That(Journey.JourneySteps.PathOf(codePage), Is.EqualTo("/journey/otp"));
        await browser.GetAsync(codePage.Headers.Location);
        Assert.That(factory.Mail.To("k0092@example.jp"), Has.Count.EqualTo(1), "a new code at once, not a wait for the hour");
    }

    [Test]
    public async Task AnOperatorNamedInKosmoOperator_IsTheOneTheAuditNames()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0091", "password-k0091");
        await UpdateAsync(factory, member, m => m.LockedAt = DateTimeOffset.UtcNow);
        await using var catcher = await MailCatcher.StartAsync();
        var variables = new Dictionary<string, string?>(OperatorShell.MailThrough(catcher)) { [Kosmo.Idp.Operations.MemberCommands.OperatorNote.OperatorVariable] = "tanaka" };

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, variables, "members", "unlock", "K0091");

        Assert.That(exit, Is.Zero, errors);
        Assert.That((await AuditOfAsync(factory, member, AuditKinds.AccountUnlocked)).Detail, Does.Contain($"by tanaka (as {Environment.UserName})"));
    }

    [Test]
    public async Task Unlock_OfAMemberWhoIsNotLocked_SaysSo_AndNeitherAuditsNorMails()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var catcher = await MailCatcher.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");

        var (exit, output, _) = await OperatorShell.RunAsync(factory.ConnectionString, OperatorShell.MailThrough(catcher), "members", "unlock", "K0001");

        Assert.That(exit, Is.Zero);
        Assert.That(output, Does.Contain("not locked"));
        Assert.That(catcher.Mails, Is.Empty);
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.AuditEvents.AnyAsync(e => e.MemberId == member.Id && e.Kind == AuditKinds.AccountUnlocked)), Is.False);
    }

    [Test]
    public async Task ResetMfa_RemovesDevicesCodesAndChallenge_ClearsTheMethod_EndsSessions_RevokesTokens_AuditsAndMails()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var catcher = await MailCatcher.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");
        await AddMfaAsync(factory, member);
        var (token, authorization) = await AddTokenAndAuthorizationAsync(factory, member);

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, OperatorShell.MailThrough(catcher), "members", "reset-mfa", "K0001");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("1 authenticator app device(s) removed").And.Contain("10 recovery code(s) removed").And.Contain("1 token(s) and 1 authorization(s)"));
        var reset = await FindAsync(factory, "K0001");
        Assert.That((reset.OtpMethod, reset.EmailOtpEnabledAt, reset.AppOtpEnabledAt, reset.RecoveryCodesSavedAt),
            Is.EqualTo(((OtpMethod?)null, (DateTimeOffset?)null, (DateTimeOffset?)null, (DateTimeOffset?)null)));
        Assert.That(reset.SessionVersion, Is.EqualTo(member.SessionVersion + 1));
        Assert.That(await TestMembers.WithDbAsync(factory, async db =>
            await db.TotpDevices.CountAsync() + await db.RecoveryCodes.CountAsync() + await db.EmailOtpChallenges.CountAsync()), Is.Zero);
        Assert.That(await StatusesAsync(factory, token, authorization), Is.EqualTo((Statuses.Revoked, Statuses.Revoked)));
        Assert.That((await AuditOfAsync(factory, member, AuditKinds.MfaReset)).Detail, Does.Contain("OTP method Email cleared"));
        Assert.That(catcher.To("k0001@example.jp").Single().Text, Does.Contain("次回ログイン時に認証方法を設定し直してください"));
    }

    [Test]
    public async Task ResetMfa_WaitsForAnAppSetupUnderWay_AndRemovesTheAppItConfirmed()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0200", "chosen-pass-2026");
        // An app's setup holds the member's code lock (OneAtATime, "otp:<id>") while it confirms the device.
        await using var setup = new Npgsql.NpgsqlConnection(factory.ConnectionString);
        await setup.OpenAsync();
        await using var confirming = await setup.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_xact_lock({0x4B49}, hashtext('otp:{member.Id:N}'))", setup, confirming))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var reset = OperatorShell.RunAsync(factory.ConnectionString, "members", "reset-mfa", "K0200");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.That(reset.IsCompleted, Is.False, "it waits for the setup to finish rather than read the factors before it");
        await using (var confirm = new Npgsql.NpgsqlCommand($"""
            INSERT INTO totp_devices (id, member_id, name, protected_secret, created_at, confirmed_at) VALUES ('{Guid.NewGuid()}', '{member.Id}', 'iPhone', 'protected', now(), now());
            UPDATE members SET app_otp_enabled_at = now(), otp_method = 'App' WHERE id = '{member.Id}';
            """, setup, confirming))
        {
            await confirm.ExecuteNonQueryAsync();
        }

        await confirming.CommitAsync();
        var (exit, output, errors) = await reset;

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("1 authenticator app device(s) removed"));
        var after = await FindAsync(factory, "K0200");
        Assert.That((after.AppOtpEnabledAt, after.OtpMethod), Is.EqualTo(((DateTimeOffset?)null, (OtpMethod?)null)), "not left with an app it no longer has");
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.TotpDevices.CountAsync(d => d.MemberId == member.Id)), Is.Zero);
    }

    [Test]
    public async Task ResetMfa_WithForgetEmail_AlsoForgetsTheLostAddress_MailsNothingThere_AndTheNextLoginAsksForANewOne()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var catcher = await MailCatcher.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0199", "chosen-pass-2026");
        // The roster gave the same address, and a notice to it is still waiting for SendGrid.
        await UpdateAsync(factory, member, m => m.RosterEmail = "K0199@example.jp");
        await TestMembers.WithDbAsync(factory, db =>
        {
            db.PendingNotices.Add(Kosmo.Idp.Mail.Notices.PendingNotice.Create(member.Id, "k0199@example.jp", Kosmo.Idp.Mail.Notices.MemberNotice.PasswordChanged, DateTimeOffset.UtcNow));
            return db.SaveChangesAsync();
        });

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, OperatorShell.MailThrough(catcher),
            "members", "reset-mfa", "K0199", "--forget-email", "--reason", "lost the mailbox, no app");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("verified address k0***@example.jp forgotten").And.Contain("tell the member")
            .And.Contain("1 notice(s) waiting to be mailed there withdrawn").And.Contain("no longer offered on the email page"));
        var reset = await FindAsync(factory, "K0199");
        Assert.That((reset.Email, reset.EmailVerifiedAt, reset.EmailOtpEnabledAt, reset.RosterEmail),
            Is.EqualTo(((string?)null, (DateTimeOffset?)null, (DateTimeOffset?)null, (string?)null)));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.PendingNotices.CountAsync()), Is.Zero, "no notice left to go there later");
        Assert.That(catcher.Mails, Is.Empty, "nothing goes to the lost mailbox");
        Assert.That(PathOf(await LoginAsync(factory.Browser(), "K0199", "chosen-pass-2026")), Is.EqualTo("/journey/email"),
            "after the password, the member confirms a new address before choosing a method again");
    }

    [Test]
    public async Task ResetPassword_MakesTheRulePasswordWorkAgain_EndsSessions_RevokesTokens_AuditsAndMails()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var catcher = await MailCatcher.StartAsync();
        var member = await TestMembers.AddFromRosterAsync(factory, "K0001", "456", "7890", new DateOnly(1990, 5, 5));
        var hashing = factory.Services.GetRequiredService<PasswordHashing>();
        await UpdateAsync(factory, member, m =>
        {
            m.PasswordHash = hashing.Hash("chosen-pass-2026");
            m.PasswordMustChange = false;
            m.PasswordChangedAt = DateTimeOffset.UtcNow;
            m.Email = "k0001@example.jp";
            m.EmailVerifiedAt = DateTimeOffset.UtcNow;
        });
        var (token, authorization) = await AddTokenAndAuthorizationAsync(factory, member);

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, OperatorShell.MailThrough(catcher), "members", "reset-password", "K0001");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("reset to the initial rule"));
        var reset = await FindAsync(factory, "K0001");
        Assert.That(hashing.Check(reset, RulePassword), Is.EqualTo(PasswordCheck.Correct));
        Assert.That(hashing.Check(reset, "chosen-pass-2026"), Is.EqualTo(PasswordCheck.Wrong));
        Assert.That((reset.PasswordMustChange, reset.PasswordChangedAt), Is.EqualTo((true, (DateTimeOffset?)null)));
        Assert.That(reset.SessionVersion, Is.EqualTo(member.SessionVersion + 1));
        Assert.That(await StatusesAsync(factory, token, authorization), Is.EqualTo((Statuses.Revoked, Statuses.Revoked)));
        Assert.That(await AuditOfAsync(factory, member, AuditKinds.PasswordReset), Is.Not.Null);
        var mail = catcher.To("k0001@example.jp").Single();
        Assert.That(mail.Text, Does.Contain("記号+番号+生年月日 の初期パスワード").And.Not.Contain(RulePassword));
    }

    [Test]
    public async Task ResetMfaAndPassword_KeepTheAddressVerifiedBeforeThem_WhoeverSignsInWithTheInitialPassword()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddFromRosterAsync(factory, "K0001", "456", "7890", new DateOnly(1990, 5, 5));
        await UpdateAsync(factory, member, m =>
        {
            m.PasswordHash = factory.Services.GetRequiredService<PasswordHashing>().Hash("chosen-pass-2026");
            m.PasswordMustChange = false;
            m.BirthDateConfirmedAt = DateTimeOffset.UtcNow.AddYears(-1);
            m.AcceptedTermsVersion = "2026-04-01";
            m.Email = "k0001@example.jp";
            m.EmailVerifiedAt = DateTimeOffset.UtcNow.AddYears(-1);
        });
        await AddMfaAsync(factory, member);
        Assert.That((await OperatorShell.RunAsync(factory.ConnectionString, "members", "reset-mfa", "K0001")).Exit, Is.Zero);
        Assert.That((await OperatorShell.RunAsync(factory.ConnectionString, "members", "reset-password", "K0001")).Exit, Is.Zero);

        // Whoever works 記号+番号+生年月日 out from the card signs in first: the member's own mailbox stays.
        var browser = factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "K0001", RulePassword)), Is.EqualTo("/journey/method"), "the address is not asked again");
        var kept = await FindAsync(factory, "K0001");
        Assert.That(kept.Email, Is.EqualTo("k0001@example.jp"));
        Assert.That(kept.EmailVerifiedAt, Is.LessThan(DateTimeOffset.UtcNow.AddDays(-300)), "verified a year ago, and still");
    }

    [Test]
    public async Task ResetPassword_SaysWhenSignInIsStillLockedOut_AndUnlock_ResetsWrongTriesLeftAfterTheLockRanOut()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await TestMembers.AddFromRosterAsync(factory, "K0095", "123", "95", new DateOnly(1980, 5, 5));
        async Task SetThrottleAsync(int failures, TimeSpan lockedFor) => await TestMembers.WithDbAsync(factory, async db =>
        {
            await db.SignInThrottles.Where(t => t.NormalizedUserId == "K0095").ExecuteDeleteAsync();
            var now = DateTimeOffset.UtcNow;
            db.SignInThrottles.Add(new SignInThrottle { NormalizedUserId = "K0095", FailedCount = failures, LastFailureAt = now, LockedUntil = now + lockedFor });
            return await db.SaveChangesAsync();
        });

        // Already on the initial password, and locked out by wrong passwords: the operator hears of the lock.
        await SetThrottleAsync(7, TimeSpan.FromMinutes(10));
        var reset = await OperatorShell.RunAsync(factory.ConnectionString, "members", "reset-password", "K0095");
        Assert.That(reset.Output + reset.Errors, Does.Contain("already has the initial password").And.Contain("Sign-in is still locked").And.Contain("members unlock"));

        // The lock ran out, six wrong passwords still count: the next one would lock the ID again.
        await SetThrottleAsync(6, TimeSpan.FromMinutes(-1));
        var unlock = await OperatorShell.RunAsync(factory.ConnectionString, "members", "unlock", "K0095");
        Assert.That(unlock.Exit, Is.Zero, unlock.Errors);
        Assert.That(unlock.Output, Does.Contain("K0095 unlocked").And.Contain("wrong-password count reset (was 6"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.SignInThrottles.AnyAsync(t => t.NormalizedUserId == "K0095")), Is.False);
        var again = await OperatorShell.RunAsync(factory.ConnectionString, "members", "unlock", "K0095");
        Assert.That(again.Output + again.Errors, Does.Contain("not locked and has no wrong tries counted; nothing changed"));

        // Two wrong mailed codes, no hold yet: counted too, and reset.
        await TestMembers.WithDbAsync(factory, async db =>
        {
            var id = await db.Members.Where(m => m.UserId == "K0095").Select(m => m.Id).SingleAsync();
            var now = DateTimeOffset.UtcNow;
            db.EmailOtpChallenges.Add(new EmailOtpChallenge
            {
                MemberId = id, CodeHash = [1, 2, 3], SentAt = now, ExpiresAt = now.AddMinutes(10), WindowStartedAt = now, SendsInWindow = 1, Failures = 2,
            });
            return await db.SaveChangesAsync();
        });
        var codes = await OperatorShell.RunAsync(factory.ConnectionString, "members", "unlock", "K0095");
        Assert.That(codes.Output, Does.Contain("codes by mail released (2 wrong codes"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.EmailOtpChallenges.Where(c => db.Members.Any(m => m.Id == c.MemberId && m.UserId == "K0095")).Select(c => c.Failures).SingleAsync()), Is.Zero);
    }

    [Test]
    public async Task ResetPassword_OfAMemberWithoutRosterData_IsRefused_AndChangesNothing()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "reset-password", "K0001");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("cannot be computed").And.Contain("nothing changed"));
        var unchanged = await FindAsync(factory, "K0001");
        Assert.That((unchanged.PasswordHash, unchanged.SessionVersion), Is.EqualTo((member.PasswordHash, member.SessionVersion)));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.AuditEvents.AnyAsync(e => e.Kind == AuditKinds.PasswordReset)), Is.False);
    }

    [Test]
    public async Task SignOut_EndsTheMembersSessions_RevokesTokens_KeepsPasswordAndMethods_AuditsAndMails()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var catcher = await MailCatcher.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");
        await AddMfaAsync(factory, member);
        var (token, authorization) = await AddTokenAndAuthorizationAsync(factory, member);
        var before = await FindAsync(factory, "K0001");

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, OperatorShell.MailThrough(catcher),
            "members", "sign-out", "K0001", "--reason", "member called: phone stolen");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("signed out of every session").And.Contain("1 token(s) and 1 authorization(s)"));
        var after = await FindAsync(factory, "K0001");
        Assert.That(after.SessionVersion, Is.EqualTo(before.SessionVersion + 1));
        Assert.That((after.PasswordHash, after.OtpMethod, after.RecoveryCodesSavedAt), Is.EqualTo((before.PasswordHash, before.OtpMethod, before.RecoveryCodesSavedAt)),
            "only the sessions end");
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.TotpDevices.CountAsync()), Is.EqualTo(1));
        Assert.That(await StatusesAsync(factory, token, authorization), Is.EqualTo((Statuses.Revoked, Statuses.Revoked)));
        Assert.That((await AuditOfAsync(factory, member, AuditKinds.SignedOutEverywhere)).Detail, Does.Contain("phone stolen"));
        Assert.That(catcher.To("k0001@example.jp").Single().Text, Does.Contain("健康保険組合の操作により、すべての端末で KOSMO Web からログアウトされました"));
    }

    [Test]
    public async Task Lock_RefusesSignIn_EndsSessions_RevokesTokens_AuditsAndMails_AndUnlockGivesTheAccountBackAsItWas()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var catcher = await MailCatcher.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");
        await AddMfaAsync(factory, member);
        var (token, authorization) = await AddTokenAndAuthorizationAsync(factory, member);
        var browser = factory.Browser();
        await LoginAsync(browser, "K0001", "chosen-pass-2026");
        Assert.That(PathOf(await browser.GetAsync("/account")), Is.Not.EqualTo("/login"), "signed in before the lock");
        var before = await FindAsync(factory, "K0001");

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, OperatorShell.MailThrough(catcher),
            "members", "lock", "K0001", "--reason", "資格喪失 2026-11-30");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("K0001 locked").And.Contain("members unlock K0001").And.Contain("1 token(s) and 1 authorization(s)"));
        var after = await FindAsync(factory, "K0001");
        Assert.That((after.IsLocked, after.LockReason, after.SessionVersion), Is.EqualTo((true, (MemberLockReason?)MemberLockReason.Operator, before.SessionVersion + 1)));
        Assert.That(await StatusesAsync(factory, token, authorization), Is.EqualTo((Statuses.Revoked, Statuses.Revoked)));
        Assert.That(PathOf(await browser.GetAsync("/account")), Is.EqualTo("/login"), "the session it had is over");
        var refused = await LoginAsync(factory.Browser(), "K0001", "chosen-pass-2026");
        Assert.That(ErrorOn(await refused.Content.ReadAsStringAsync(), "login-error"), Does.Contain("ロックされています"));
        Assert.That((await AuditOfAsync(factory, member, AuditKinds.AccountLocked)).Detail, Does.Contain("資格喪失 2026-11-30"));
        Assert.That(catcher.To("k0001@example.jp").Single().Text, Does.Contain("ロック"));

        var (again, againOutput, _) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "lock", "K0001");
        Assert.That((again, againOutput), Is.EqualTo((0, againOutput)));
        Assert.That(againOutput, Does.Contain("already locked").And.Contain("Operator"));

        var (unlocked, _, unlockErrors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "unlock", "K0001", "--reason", "rejoined");
        Assert.That(unlocked, Is.Zero, unlockErrors);
        var restored = await FindAsync(factory, "K0001");
        Assert.That((restored.IsLocked, restored.PasswordHash, restored.OtpMethod), Is.EqualTo((false, before.PasswordHash, before.OtpMethod)), "the account as it was");
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.TotpDevices.CountAsync()), Is.EqualTo(1));
    }

    [Test]
    public async Task AnOperatorsReset_TellsAnAppWithABackchannelLogoutUri_FromTheCommandLine()
    {
        await using var portal = await LogoutCatcher.StartAsync();
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["RelyingApps:Apps:0:BackchannelLogoutUri"] = portal.Endpoint.AbsoluteUri });
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");
        var (token, authorization) = await AddTokenAndAuthorizationAsync(factory, member);

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString,
            new Dictionary<string, string?> { ["Protocol__Issuer"] = "https://idp.example-kenpo.or.jp/" }, "members", "sign-out", "K0001");

        Assert.That(exit, Is.Zero, output + errors);
        Assert.That(await StatusesAsync(factory, token, authorization), Is.EqualTo((Statuses.Revoked, Statuses.Revoked)));
        var logout = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(portal.Tokens.Single());
        Assert.That((logout.Issuer, logout.Subject, logout.Audiences.Single()), Is.EqualTo(("https://idp.example-kenpo.or.jp/", member.Id.ToString(), KosmoFactory.PortalClientId)),
            "signed by the command, which loads the keys itself");
        Assert.That(output, Does.Contain("1 relying app sign-in(s) told by logout token").And.Not.Contain("NOT reached"));

        // The app is down: the operator hears that it was not told yet, and where to follow it.
        portal.Down = true;
        await AddTokenAndAuthorizationAsync(factory, member);
        var (downExit, downOutput, downErrors) = await OperatorShell.RunAsync(factory.ConnectionString,
            new Dictionary<string, string?> { ["Protocol__Issuer"] = "https://idp.example-kenpo.or.jp/" }, "members", "sign-out", "K0001");
        Assert.That(downExit, Is.Zero, downOutput + downErrors);
        Assert.That(downOutput, Does.Contain("0 relying app sign-in(s) told by logout token, 1 NOT reached yet").And.Contain("clients logout-notices"));
    }

    [Test]
    public async Task SignOutEveryone_NeedsYes_ThenEndsEveryMembersSessions_AndRevokesEveryToken()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var first = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");
        var second = await TestMembers.AddAsync(factory, "K0002", "chosen-pass-2026");
        var (token, authorization) = await AddTokenAndAuthorizationAsync(factory, second);
        var now = DateTimeOffset.UtcNow;
        await TestMembers.WithDbAsync(factory, db =>
        {
            // An address change someone typed in a session that may have leaked, and one long confirmed.
            db.EmailVerifications.Add(new EmailVerification { MemberId = first.Id, Email = "pending@example.jp", TokenHash = [1], SentAt = now, ExpiresAt = now.AddHours(1) });
            db.EmailVerifications.Add(new EmailVerification { MemberId = second.Id, Email = "used@example.jp", TokenHash = [2], SentAt = now, ExpiresAt = now.AddHours(1), ConsumedAt = now });
            return db.SaveChangesAsync();
        });

        var (refusedExit, _, refusal) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "sign-out-everyone");
        Assert.That(refusedExit, Is.EqualTo(2));
        Assert.That(refusal, Does.Contain("--yes"));
        Assert.That((await FindAsync(factory, "K0001")).SessionVersion, Is.EqualTo(first.SessionVersion), "nothing changed without --yes");

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "sign-out-everyone", "--yes", "--reason", "restored the 11-25 backup");
        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("2 member(s) signed out").And.Contain("1 token(s) and 1 authorization(s)").And.Contain("1 pending address confirmation link(s) withdrawn"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.EmailVerifications.Select(v => v.Email).ToListAsync()), Is.EqualTo(new[] { "used@example.jp" }),
            "the pending change can no longer complete from a leaked session's mailbox");
        Assert.That((await FindAsync(factory, "K0001")).SessionVersion, Is.EqualTo(first.SessionVersion + 1));
        Assert.That((await FindAsync(factory, "K0002")).SessionVersion, Is.EqualTo(second.SessionVersion + 1));
        Assert.That(await StatusesAsync(factory, token, authorization), Is.EqualTo((Statuses.Revoked, Statuses.Revoked)));
        var audited = await TestMembers.WithDbAsync(factory, db => db.AuditEvents.SingleAsync(a => a.Kind == AuditKinds.SignedOutEverywhere));
        Assert.That(audited.MemberId, Is.Null, "one event for the whole roster");
        Assert.That(audited.Detail, Does.Contain("every member").And.Contain("restored the 11-25 backup"));
    }

    [TestCase("show")]
    [TestCase("lock")]
    [TestCase("unlock")]
    [TestCase("reset-mfa")]
    [TestCase("reset-password")]
    [TestCase("sign-out")]
    public async Task AnUnknownUserId_ExitsOne_AndSaysSo(string command)
    {
        await using var factory = await KosmoFactory.StartAsync();

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", command, "NO-SUCH-ID");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("No member with user ID 'NO-SUCH-ID'"));
    }

    [TestCase("show")]
    [TestCase("unlock")]
    public async Task ABlankUserId_IsBadUsage_AndAnIdWithControlCharacters_IsEchoedInert(string command)
    {
        await using var factory = await KosmoFactory.StartAsync();

        var blank = await OperatorShell.RunAsync(factory.ConnectionString, "members", command, "  ");
        Assert.That((blank.Exit, blank.Errors), Is.EqualTo((2, blank.Errors)));
        Assert.That(blank.Errors, Does.Contain("The user ID is empty"));

        var escape = await OperatorShell.RunAsync(factory.ConnectionString, "members", command, "x\u001b[31mred");
        Assert.That(escape.Exit, Is.EqualTo(1));
        Assert.That(escape.Errors, Does.Contain("'x\\u001B[31mred'"), "the terminal is shown the code, not told to turn red");
        Assert.That(escape.Errors.Contains('\u001b', StringComparison.Ordinal), Is.False);
        var audit = await OperatorShell.RunAsync(factory.ConnectionString, "audit", "--member", "x\u001b]0;title\u0007");
        Assert.That(audit.Exit, Is.EqualTo(1));
        Assert.That(audit.Errors, Does.Contain("\\u001B]0;title\\u0007"));
        Assert.That(audit.Errors.Contains('\u001b', StringComparison.Ordinal), Is.False);
    }

    [Test]
    public async Task AReasonLongerThan200Characters_IsBadUsage()
    {
        var (exit, _, errors) = await OperatorShell.RunAsync("Host=unused", "members", "unlock", "K0001", "--reason", new string('x', 201));

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("--reason"));
    }

    [Test]
    public async Task AMailProviderThatIsDown_LeavesTheChangeDone_WithAWarning_AndTheAuditSaysSo()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var catcher = await MailCatcher.StartAsync();
        catcher.Down = true;
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");
        await UpdateAsync(factory, member, m => (m.LockedAt, m.LockReason) = (DateTimeOffset.UtcNow, MemberLockReason.BirthDateAttempts));

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, OperatorShell.MailThrough(catcher), "members", "unlock", "K0001");

        Assert.That(exit, Is.Zero, "the unlock is what the operator needed");
        Assert.That(errors, Does.Contain("Warning").And.Contain("not sent"));
        Assert.That(errors, Does.Not.Contain("   at "), "the reason in words, not stack traces");
        Assert.That((await FindAsync(factory, "K0001")).IsLocked, Is.False);
        Assert.That((await AuditOfAsync(factory, member, AuditKinds.AccountUnlocked)).Detail, Does.Contain("mail NOT sent"));
        Assert.That(errors.Split('\n').Where(line => line.Contains("account.unlocked", StringComparison.Ordinal)), Has.Some.Contain("mail NOT sent"),
            "the log's copy of the audit event, which restores events lost with an older backup, says so too");
    }

    [Test]
    public async Task Audit_ListsEventsNewestFirst_FilteredByMemberAndKind()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var taro = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");
        var hanako = await TestMembers.AddAsync(factory, "K0002", "chosen-pass-2026");
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        await TestMembers.WithDbAsync(factory, db =>
        {
            db.AuditEvents.AddRange(
                new AuditEvent { OccurredAt = start.AddHours(1), MemberId = taro.Id, Kind = AuditKinds.SignInFailed, Detail = "first failure", RemoteAddress = "192.0.2.1" },
                new AuditEvent { OccurredAt = start.AddHours(2), MemberId = taro.Id, Kind = AuditKinds.SignInFailed, Detail = "second failure", RemoteAddress = "192.0.2.1" },
                new AuditEvent { OccurredAt = start.AddHours(3), MemberId = taro.Id, Kind = AuditKinds.SignInSucceeded, Detail = "in" },
                new AuditEvent { OccurredAt = start.AddHours(4), MemberId = hanako.Id, Kind = AuditKinds.SignInFailed, Detail = "hanako failure" });
            return db.SaveChangesAsync();
        });

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "audit", "--member", "k0001", "--kind", AuditKinds.SignInFailed);

        Assert.That(exit, Is.Zero, errors);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(3), output);
        Assert.That(lines[1], Does.StartWith("2026-11-01T02:00:00Z").And.Contain("K0001").And.Contain("second failure").And.Contain("192.0.2.1"));
        Assert.That(lines[2], Does.StartWith("2026-11-01T01:00:00Z").And.Contain("first failure"));
        Assert.That(lines[1].IndexOf("second failure", StringComparison.Ordinal), Is.EqualTo(lines[2].IndexOf("first failure", StringComparison.Ordinal)), "aligned columns");

        (exit, output, _) = await OperatorShell.RunAsync(factory.ConnectionString, "audit", "--since", "2026-11-01T02:30", "--until", "2026-11-01T04:00");
        Assert.That(exit, Is.Zero);
        Assert.That(output, Does.Contain("sign-in.succeeded").And.Not.Contain("failure"));
    }

    [TestCase("abc")]
    [TestCase("99999999999")]
    [TestCase("0")]
    public async Task Audit_WithALimitThatIsNotACountFrom1To10000_IsBadUsage(string limit)
    {
        var (exit, _, errors) = await OperatorShell.RunAsync("Host=unused", "audit", "--limit", limit);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain($"--limit must be a whole number between 1 and 10000, not '{limit}'").And.Not.Contain("   at "));
    }

    [TestCase("--help")]
    [TestCase("-h")]
    public void AskingForHelpFirst_IsACommand_NotAStartOfTheService(string first)
    {
        Assert.That(Kosmo.Idp.Operations.Cli.KosmoCommandLine.IsCommand([first]), Is.True);
        Assert.That(Kosmo.Idp.Operations.Cli.KosmoCommandLine.IsCommand(["--urls", "http://127.0.0.1:5000"]), Is.False, "the host's own options still start it");
    }

    [Test]
    public async Task Show_WritesAMembersControlCharacters_AsCodes_NotToTheTerminal()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0001", "chosen-pass-2026");
        await UpdateAsync(factory, member, m => m.DisplayName = "健保\u001b[31m花子\u202e");

        var (exit, output, _) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "show", "K0001");

        Assert.That(exit, Is.Zero);
        // Ordinal: a culture-aware search ignores control characters and would always find them.
        Assert.That(output.Contains('\u001b', StringComparison.Ordinal) || output.Contains('\u202e', StringComparison.Ordinal), Is.False);
        Assert.That(output, Does.Contain("健保\\u001B[31m花子\\u202E"));
    }

    [Test]
    public async Task Audit_WithABadSince_IsBadUsage()
    {
        var (exit, _, errors) = await OperatorShell.RunAsync("Host=unused", "audit", "--since", "yesterday");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("'yesterday' is not a date"));
    }

    [Test]
    public async Task Audit_WithAnUnknownKind_IsBadUsage_AndListsTheKinds()
    {
        var (exit, _, errors) = await OperatorShell.RunAsync("Host=unused", "audit", "--kind", "account.unlock");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("'account.unlock' is not a kind").And.Contain(AuditKinds.AccountUnlocked));
    }

    [Test]
    public async Task Audit_ForAnUnknownMember_ExitsOne()
    {
        await using var factory = await KosmoFactory.StartAsync();

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "audit", "--member", "NO-SUCH-ID");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("No member with user ID 'NO-SUCH-ID'"));
    }

    [Test]
    public async Task EveryMemberCommand_ExplainsItselfWithHelp()
    {
        foreach (var command in new[] { "show", "lock", "unlock", "reset-mfa", "reset-password" })
        {
            var (exit, output, _) = await OperatorShell.RunAsync("Host=unused", "members", command, "--help");
            Assert.That(exit, Is.Zero, command);
            Assert.That(output, Does.Contain("user-id"), command);
        }
    }

    private static async Task AddMfaAsync(KosmoFactory factory, Member member)
    {
        var now = DateTimeOffset.UtcNow;
        await TestMembers.WithDbAsync(factory, db =>
        {
            db.TotpDevices.Add(new TotpDevice { MemberId = member.Id, Name = "iPhone", ProtectedSecret = "protected-secret", CreatedAt = now, ConfirmedAt = now, LastUsedAt = now });
            db.EmailOtpChallenges.Add(new EmailOtpChallenge { MemberId = member.Id, CodeHash = new byte[32], SentAt = now, ExpiresAt = now.AddMinutes(10), WindowStartedAt = now, SendsInWindow = 1 });
            db.RecoveryCodes.AddRange(Enumerable.Range(0, 10).Select(i => new RecoveryCode
            {
                MemberId = member.Id,
                CodeHash = Enumerable.Repeat((byte)i, 32).ToArray(),
                CreatedAt = now,
                UsedAt = i == 0 ? now : null,
            }));
            return db.SaveChangesAsync();
        });
        await UpdateAsync(factory, member, m =>
        {
            m.EmailOtpEnabledAt = now;
            m.AppOtpEnabledAt = now;
            m.RecoveryCodesSavedAt = now;
        });
    }

    private static Task AddThrottleAsync(KosmoFactory factory, string userId, TimeSpan lockedFor) =>
        TestMembers.WithDbAsync(factory, db =>
        {
            db.SignInThrottles.Add(new SignInThrottle
            {
                NormalizedUserId = Member.Normalize(userId),
                FailedCount = 6,
                LastFailureAt = DateTimeOffset.UtcNow,
                LockedUntil = DateTimeOffset.UtcNow + lockedFor,
            });
            return db.SaveChangesAsync();
        });

    private static Task UpdateAsync(KosmoFactory factory, Member member, Action<Member> change) =>
        TestMembers.WithDbAsync(factory, async db =>
        {
            var stored = await db.Members.SingleAsync(m => m.Id == member.Id);
            change(stored);
            return await db.SaveChangesAsync();
        });

    private static Task<Member> FindAsync(KosmoFactory factory, string userId) =>
        TestMembers.WithDbAsync(factory, db => db.Members.AsNoTracking().SingleAsync(m => m.NormalizedUserId == Member.Normalize(userId)));

    private static Task<AuditEvent> AuditOfAsync(KosmoFactory factory, Member member, string kind) =>
        TestMembers.WithDbAsync(factory, db => db.AuditEvents.AsNoTracking().SingleAsync(e => e.MemberId == member.Id && e.Kind == kind));

    /// <summary>A refresh token and the authorization behind it, as a relying app's sign-in leaves them.</summary>
    private static async Task<(string TokenId, string AuthorizationId)> AddTokenAndAuthorizationAsync(KosmoFactory factory, Member member)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var application = await applications.FindByClientIdAsync(KosmoFactory.PortalClientId) ?? throw new InvalidOperationException("portal app missing");
        var applicationId = await applications.GetIdAsync(application);
        var now = DateTimeOffset.UtcNow;
        var authorization = await authorizations.CreateAsync(new OpenIddictAuthorizationDescriptor
        {
            ApplicationId = applicationId,
            Subject = member.Id.ToString(),
            Status = Statuses.Valid,
            Type = AuthorizationTypes.AdHoc,
            CreationDate = now,
        });
        var authorizationId = await authorizations.GetIdAsync(authorization);
        var token = await tokens.CreateAsync(new OpenIddictTokenDescriptor
        {
            ApplicationId = applicationId,
            AuthorizationId = authorizationId,
            Subject = member.Id.ToString(),
            Status = Statuses.Valid,
            Type = TokenTypeHints.RefreshToken,
            CreationDate = now,
            ExpirationDate = now.AddDays(14),
        });
        return ((await tokens.GetIdAsync(token))!, authorizationId!);
    }

    private static async Task<(string? Token, string? Authorization)> StatusesAsync(KosmoFactory factory, string tokenId, string authorizationId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
        var token = await tokens.FindByIdAsync(tokenId);
        var authorization = await authorizations.FindByIdAsync(authorizationId);
        return (await tokens.GetStatusAsync(token!), await authorizations.GetStatusAsync(authorization!));
    }
}
