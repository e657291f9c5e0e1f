using Kosmo.Idp.Journey.Otp;
using System.Net;
using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// What a member's authenticator app does in the tests: read a key from a QR code, show the code
/// for a moment (the fake clock's) or for now (the real clock the browser tests run on). And
/// members who already have an app.
/// </summary>
public static class AuthenticatorApp
{
    /// <summary>The key of an <c>otpauth://</c> URI, as an app reads it from the QR code.</summary>
    public static string SecretOf(string otpauth)
    {
        var uri = new Uri(otpauth);
        Assert.That(uri.Scheme, Is.EqualTo("otpauth"));
        return (string)QueryHelpers.ParseQuery(uri.Query)["secret"]!;
    }

    /// <summary>The key the app reads from the setup page's QR code (the image the page shows).</summary>
    public static async Task<string> ScanAsync(HttpClient browser, HttpResponseMessage setupPage)
    {
        var image = (await HtmlForm.ParseAsync(setupPage)).QuerySelector("#otp-qr")?.GetAttribute("src")
            ?? throw new AssertionException("The page shows no QR code: " + setupPage.RequestMessage!.RequestUri);
        return SecretOf(QrCodes.Decode(await (await browser.GetAsync(image)).Content.ReadAsByteArrayAsync()));
    }

    /// <summary>
    /// Adds an app from the account page, as a member with their phone does: follows the page's
    /// link, scans the QR code and types the code the app shows at <paramref name="clock"/>'s now.
    /// Returns the app's key.
    /// </summary>
    public static async Task<string> AddOnAccountPageAsync(HttpClient browser, string name, TimeProvider clock)
    {
        var account = await browser.GetAsync("/account");
        var addLink = (await HtmlForm.ParseAsync(account)).QuerySelector("#add-device")!.GetAttribute("href")!;
        var setup = await browser.GetAsync(addLink);
        Assert.That(setup.StatusCode, Is.EqualTo(HttpStatusCode.OK), addLink);
        var key = await ScanAsync(browser, setup);
        var added = await HtmlForm.SubmitAsync(browser, setup, new Dictionary<string, string> { ["Code"] = CodeAt(key, clock.GetUtcNow()), ["DeviceName"] = name }, "#otp-setup-form");
        Assert.That(added.Headers.Location?.OriginalString, Does.StartWith("/account?done=device-added&proof="), await added.Content.ReadAsStringAsync());
        return key;
    }

    /// <summary>The code the app shows at <paramref name="time"/>.</summary>
    public static string CodeAt(string key, DateTimeOffset time) => new Totp(Base32Encoding.ToBytes(key)).ComputeTotp(time.UtcDateTime);

    /// <summary>
    /// The app's code now, from a 30-s step after <paramref name="after"/> (the provider takes a
    /// device's code once per step) and with at least 4 s of it left, so it cannot expire between
    /// typing and checking. Returns the step too, for the next caller's <paramref name="after"/>.
    /// </summary>
    public static async Task<(string Code, long Step)> FreshCodeAsync(string key, long after = -1)
    {
        var totp = new Totp(Base32Encoding.ToBytes(key));
        while (true)
        {
            var now = DateTime.UtcNow;
            var step = new DateTimeOffset(now).ToUnixTimeSeconds() / 30;
            var left = totp.RemainingSeconds(now);
            // RemainingSeconds rounds down: more than 4 means at least 4 whole seconds to go.
            if (step > after && left > 4)
            {
                return (totp.ComputeTotp(now), step);
            }

            await Task.Delay(TimeSpan.FromSeconds(left) + TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>
    /// A member who finished the journey with one authenticator app (mail codes off) and kept the
    /// recovery codes shown then. The device and the codes are made by the provider's own services,
    /// so the test knows the app's key and the paper's codes as the member does.
    /// </summary>
    public static async Task<(string Key, IReadOnlyList<string> RecoveryCodes)> AddMemberAsync(
        KosmoFactory factory, string userId, string password, string name, string deviceName)
    {
        var member = await TestMembers.AddAsync(factory, userId, password, name);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KosmoDbContext>();
        var authenticator = scope.ServiceProvider.GetRequiredService<TotpAuthenticator>();
        var device = await authenticator.PendingDeviceAsync(member, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        device.ConfirmedAt = now;
        device.Name = deviceName;
        await db.SaveChangesAsync();
        await db.Members.Where(m => m.Id == member.Id).ExecuteUpdateAsync(set => set
            .SetProperty(m => m.OtpMethod, OtpMethod.App)
            .SetProperty(m => m.AppOtpEnabledAt, now)
            .SetProperty(m => m.EmailOtpEnabledAt, (DateTimeOffset?)null));
        var codes = await scope.ServiceProvider.GetRequiredService<RecoveryCodes>().IssueAsync(member.Id, CancellationToken.None);
        return (authenticator.KeyForDisplay(device).Replace(" ", ""), codes);
    }
}
