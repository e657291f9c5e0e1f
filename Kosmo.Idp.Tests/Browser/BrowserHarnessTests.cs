using Microsoft.Playwright;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>The browser tests' own guards catch what they are there to catch: a page that passes proves something.</summary>
[Category("Browser")]
public sealed class BrowserHarnessTests
{
    [Test]
    public async Task Axe_FindsSeriousViolations_OnAPageWithAnUnlabelledFieldAndAnImageWithoutText()
    {
        await using var session = new BrowserSession();
        var page = await session.NewDeviceAsync(Device.Desktop);
        await page.SetContentAsync("""
            <!DOCTYPE html><html><head><title>broken</title></head>
            <body><main><img src="data:,"><input type="text"></main></body></html>
            """);

        var violations = await BrowserSession.SeriousViolationsAsync(page);

        Assert.That(violations, Has.Some.Contains("image-alt").And.Some.Contains("label"));
    }

    [Test]
    public async Task SmallTapTargets_AreFound_ForAStandaloneLinkButNotForALinkInsideASentence()
    {
        await using var session = new BrowserSession();
        var page = await session.NewDeviceAsync(Device.Phone);
        await page.SetContentAsync("""
            <!DOCTYPE html><html lang="ja"><head><title>small</title></head>
            <body><main class="page"><p><a href="/login" id="alone">ログイン</a></p><p>または <a href="/x" id="inline">こちら</a> から。</p></main></body></html>
            """);

        var small = await BrowserSession.SmallTapTargetsAsync(page);

        Assert.That(small, Has.Count.EqualTo(1).And.Some.Contains("a#alone"));
    }

    [Test]
    public async Task TheSession_RecordsConsoleErrorsAndUncaughtPageErrors()
    {
        await using var session = new BrowserSession();
        var page = await session.NewDeviceAsync(Device.Phone);
        await page.SetContentAsync("""
            <!DOCTYPE html><html lang="ja"><head><title>errors</title></head>
            <body><script>console.error('logged'); setTimeout(function () { throw new Error('thrown'); }, 0);</script></body></html>
            """);
        await page.WaitForFunctionAsync("() => new Promise(resolve => setTimeout(() => resolve(true), 50))");

        Assert.That(session.Errors, Has.Some.Contains("logged").And.Some.Contains("thrown"));
    }
}
