using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serilog.Events;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Mail;

/// <summary>
/// A notice of a change made on the hosted pages goes out after the page answered, and again while
/// the mail provider refuses it: a member learns of a password or address change they did not
/// make even when SendGrid was down at that moment, and never waits on SendGrid for their page.
/// </summary>
[NonParallelizable] // runs an operator's command, which sets environment variables and the console
public sealed class MemberNoticeDeliveryTests
{
    private const string Password = "Notice-Pass-2026";
    private const string NewPassword = "Changed-Pass-2026";

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync(
        new Dictionary<string, string?>
        {
            ["Mail:Notices:PollInterval"] = "00:00:10", ["Mail:Notices:RetryFor"] = "02:00:00", ["Mail:SendGrid:Timeout"] = "00:00:01",
        },
        services => services.AddSingleton<TimeProvider>(_clock));

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [TearDown]
    public void ProviderBack()
    {
        _factory.Mail.Down = false;
        _factory.Mail.Delay = TimeSpan.Zero;
    }

    [Test]
    public async Task ANoticeTheProviderRefused_IsSentOnceItIsBack_SayingWhenTheChangeHappened()
    {
        var browser = await SignedInAsync("Q0001");
        var changedAt = _clock.GetUtcNow();
        _factory.Mail.Down = true;

        var changed = await ChangePasswordAsync(browser);
        Assert.That(changed.Headers.Location?.OriginalString, Does.Contain("done=password"), "the change is made and said, whatever the mail provider does");
        await _factory.NoticesTriedAsync();
        Assert.That(NoticesTo("q0001@example.jp"), Is.Empty);
        var waiting = await PendingAsync("Q0001");
        Assert.That(waiting.Attempts, Is.EqualTo(1));
        Assert.That(waiting.LastFailure, Does.Contain("SendGrid"), "why it failed, for operators");
        var (_, shown, _) = await OperatorShell.RunAsync(_factory.ConnectionString, "members", "show", "Q0001");
        Assert.That(shown, Does.Match(@"Notices waiting:\s+1 ").And.Contain("- PasswordChanged of ").And.Contain("1 attempt(s)").And.Contain("last failure: SendGrid answered 503"),
            "the operator the member calls sees the notice waiting, and why");

        _factory.Mail.Down = false;
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.That(await SendDueAsync(), Is.Zero, "not due again before its back-off");
        Assert.That(NoticesTo("q0001@example.jp"), Is.Empty);
        _clock.Advance(TimeSpan.FromSeconds(40));
        var notice = await NoticeArrivesAsync("q0001@example.jp");

        var japanTime = changedAt.ToOffset(TimeSpan.FromHours(9));
        Assert.That(notice.Text, Does.Contain("パスワードが変更されました").And.Contain($"日時: {japanTime:yyyy年M月d日 H:mm}（日本時間）"),
            "when the password changed, not when the mail finally went");
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.PendingNotices.CountAsync()), Is.Zero, "a sent notice is not kept");
    }

    [Test]
    public async Task ANoticeTheProviderKeepsRefusing_IsGivenUpAfterRetryFor_WithAnErrorNamingTheMember()
    {
        var browser = await SignedInAsync("Q0002");
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.SingleAsync(m => m.UserId == "Q0002"));
        _factory.Mail.Down = true;
        await ChangePasswordAsync(browser);
        await _factory.NoticesTriedAsync();

        for (var waited = TimeSpan.Zero; waited <= TimeSpan.FromHours(2); waited += TimeSpan.FromMinutes(10))
        {
            _clock.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(100);
        }

        await WaitUntilAsync(async () => !await TestMembers.WithDbAsync(_factory, db => db.PendingNotices.AnyAsync(n => n.MemberId == member.Id)), "the notice was given up");
        Assert.That(_factory.Logs.Leveled.Where(l => l.Level == LogEventLevel.Error).Select(l => l.Text),
            Has.Some.Contains("PasswordChanged").And.Contains(member.Id.ToString()).And.Contains("Tell the member another way"));
        _factory.Mail.Down = false;
        Assert.That(NoticesTo("q0002@example.jp"), Is.Empty);
    }

    [Test]
    public async Task ANoticeToAnAddressTheProviderRefuses_IsGivenUpAtOnce_WithAnErrorNamingTheMember()
    {
        var browser = await SignedInAsync("Q0005");
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.SingleAsync(m => m.UserId == "Q0005"));
        _factory.Mail.RefusedAddresses["q0005@example.jp"] = true;

        await ChangePasswordAsync(browser);
        await _factory.NoticesTriedAsync();

        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.PendingNotices.AnyAsync(n => n.MemberId == member.Id)), Is.False,
            "a day of retries would get the same answer");
        Assert.That(_factory.Logs.Leveled.Where(l => l.Level == LogEventLevel.Error).Select(l => l.Text),
            Has.Some.Contains("PasswordChanged").And.Contains(member.Id.ToString()).And.Contains("Tell the member another way"));
        Assert.That(_factory.Logs.Leveled.Where(l => l.Text.StartsWith("SendGrid refused the recipient", StringComparison.Ordinal)).Select(l => (l.Level, l.Text.Contains("q0005"))),
            Is.EqualTo(new[] { (LogEventLevel.Warning, false) }), "the sender's own line: a warning (the member's address, nothing for operators to mend), without the address");
        Assert.That(NoticesTo("q0005@example.jp"), Is.Empty);
    }

    [Test]
    public async Task ANoticeTheProviderTookButDidNotConfirmInTime_IsNotSentAgain()
    {
        var browser = await SignedInAsync("Q0004");
        _factory.Mail.Delay = TimeSpan.FromSeconds(2);

        await ChangePasswordAsync(browser);
        await _factory.NoticesTriedAsync();

        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.PendingNotices.CountAsync(n => n.MemberId == db.Members.Single(m => m.UserId == "Q0004").Id)),
            Is.Zero, "taken by the provider, if late: nothing left to send");
        _factory.Mail.Delay = TimeSpan.Zero;
        _clock.Advance(TimeSpan.FromMinutes(5));
        await SendDueAsync();
        Assert.That(NoticesTo("q0004@example.jp"), Has.Count.EqualTo(1), "one change, one notice");
    }

    [Test]
    public async Task ThePageThatMadeTheChange_AnswersBeforeTheProviderHas()
    {
        var browser = await SignedInAsync("Q0003");
        _factory.Mail.Delay = TimeSpan.FromSeconds(3);

        var changed = await ChangePasswordAsync(browser);

        Assert.That(changed.Headers.Location?.OriginalString, Does.Contain("done=password"));
        var pending = await TestMembers.WithDbAsync(_factory, db => db.PendingNotices.AsNoTracking()
            .Where(n => n.MemberId == db.Members.Single(m => m.UserId == "Q0003").Id).ToListAsync());
        Assert.That(pending.Select(n => n.Attempts), Is.EqualTo(new[] { 0 }), "the provider had not answered when the page did");
        var notice = await NoticeArrivesAsync("q0003@example.jp");
        Assert.That(notice.Text, Does.Contain("パスワードが変更されました"));
    }

    private async Task<HttpClient> SignedInAsync(string userId)
    {
        await TestMembers.AddAsync(_factory, userId, Password);
        var browser = _factory.Browser();
        var done = await OtpMail.CompleteAsync(_factory, browser, await LoginAsync(browser, userId, Password), userId.ToLowerInvariant() + "@example.jp");
        Assert.That(PathOf(done), Is.EqualTo("/"));
        return browser;
    }

    private static async Task<HttpResponseMessage> ChangePasswordAsync(HttpClient browser) =>
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>
        {
            ["CurrentPassword"] = Password, ["NewPassword"] = NewPassword, ["Confirmation"] = NewPassword,
        }, "#change-password");

    /// <summary>A retry round, now (the replicas' own rounds run on the test clock's ticks).</summary>
    private async Task<int> SendDueAsync()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Kosmo.Idp.Mail.Notices.NoticeDelivery>().SendDueAsync(CancellationToken.None);
    }

    private List<CaughtMail> NoticesTo(string address) =>
        _factory.Mail.To(address).Where(m => m.Subject.Contains("アカウントのお知らせ", StringComparison.Ordinal)).ToList();

    private Task<Kosmo.Idp.Mail.Notices.PendingNotice> PendingAsync(string userId) =>
        TestMembers.WithDbAsync(_factory, db => db.PendingNotices.AsNoTracking().SingleAsync(n => n.MemberId == db.Members.Single(m => m.UserId == userId).Id));

    private async Task<CaughtMail> NoticeArrivesAsync(string address)
    {
        await WaitUntilAsync(() => Task.FromResult(NoticesTo(address).Count > 0), "the notice to " + address + " arrived");
        return NoticesTo(address).Single();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(until), "waited 20 s for this: " + what);
            await Task.Delay(50);
        }
    }
}
