using System.Net;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Mail;

/// <summary>
/// A provider that takes a mail but answers after the client stopped waiting may still deliver it.
/// What that mail carries must then work: the member who is told "try again" and then finds the
/// late mail must not be holding a dead code or link.
/// </summary>
public sealed class SlowMailProviderTests
{
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["Mail:SendGrid:Timeout"] = "00:00:01" });
        _factory.Mail.Delay = TimeSpan.FromSeconds(3);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task ACodeMailTheProviderDidNotConfirmInTime_SaysItMayBeLate_AndItsCodeWorksWhenItArrives()
    {
        await TestMembers.AddAsync(_factory, "V0001", "Slow-Mail-2026");
        var browser = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "V0001", "Slow-Mail-2026")), Is.EqualTo("/journey/otp"));

        var page = await browser.GetAsync("/journey/otp");
        var html = await page.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "otp-notice"), Does.Contain("時間がかかっています").And.Contain("届かない場合は「再送信」"));
        Assert.That(ErrorOn(html, "otp-send-error"), Is.Null, "not told that nothing was sent");

        var accepted = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = OtpMail.LatestCode(_factory, "v0001@example.jp") }, "#otp-form");
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(PathOf(accepted), Is.Not.EqualTo("/journey/otp"), "the code in the late mail signs the member in");
    }

    [Test]
    public async Task AProviderThatCannotBeConnectedTo_SentNothing_SoTheMemberIsToldToRetry_AndMayAtOnce()
    {
        // A firewall dropping the packets: the connection never opens. A listener whose one-place queue
        // is already taken stands in for it (the kernel drops the next handshakes).
        using var blackhole = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        blackhole.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        blackhole.Listen(0);
        var address = (System.Net.IPEndPoint)blackhole.LocalEndPoint!;
        using var queued = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await queued.ConnectAsync(address);
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
        {
            ["Mail:SendGrid:Timeout"] = "00:00:02",
            ["Mail:SendGrid:Host"] = $"http://127.0.0.1:{address.Port}",
        });
        await TestMembers.AddAsync(factory, "V0003", "Slow-Mail-2026");
        var browser = factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "V0003", "Slow-Mail-2026")), Is.EqualTo("/journey/otp"));

        var page = await (await browser.GetAsync("/journey/otp")).Content.ReadAsStringAsync();

        Assert.That(ErrorOn(page, "otp-send-error"), Does.Contain("ただいまメールを送信できません"), "not 'may be late': nothing went out");
        var challenge = await TestMembers.WithDbAsync(factory, db => db.EmailOtpChallenges.AsNoTracking().SingleAsync());
        Assert.That(challenge.SendsInWindow, Is.Zero, "the send is given back: the member may retry at once");
    }

    [Test]
    public async Task AVerificationMailTheProviderDidNotConfirmInTime_WaitsForItsLink_WhichConfirmsTheAddress()
    {
        var browser = await AtTheEmailStepAsync(_factory, "V0002");
        var sent = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Email"] = "v0002@example.jp" });
        Assert.That(sent.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "on to the page that waits for the link and offers a resend");

        var phone = _factory.Browser();
        var link = LinkIn(_factory.Mail.To("v0002@example.jp").Single());
        await HtmlForm.SubmitAsync(phone, await phone.GetAsync(link), new Dictionary<string, string>());
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "V0002"));
        Assert.That((member.Email, member.EmailVerifiedAt is not null), Is.EqualTo(("v0002@example.jp", true)));
    }
}
