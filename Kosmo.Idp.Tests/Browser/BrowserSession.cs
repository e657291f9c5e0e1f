using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>Once per run of the browser tests: Debian's Chromium, headless, started through Playwright.</summary>
[SetUpFixture]
public sealed class BrowserRun
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static IPlaywright? _playwright;
    private static IBrowser? _browser;

    public static IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium has not started.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"The browser tests need Chromium at {ChromiumPath} (Debian: apt-get install chromium fonts-noto-cjk).");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
            ],
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>The member's devices.</summary>
public enum Device
{
    /// <summary>A PC: 1280×800.</summary>
    Desktop,

    /// <summary>A phone: 390×844, touch.</summary>
    Phone,
}

/// <summary>
/// One test's browser: a context per member device (Japanese locale), every console error and
/// uncaught page error recorded (any one fails the test), a full-page screenshot of every page
/// passed through, and axe-core on demand.
/// </summary>
/// <remarks>
/// A test that illustrates the member guide names its own set of pictures (<paramref name="guide"/>,
/// say <c>first-login-ja</c>). With <c>KOSMO_GUIDE_PICTURES=1</c> in the environment its screenshots
/// are also written to <c>docs/member-guide/&lt;guide&gt;/&lt;name&gt;.png</c>, so the guide shows
/// exactly what the tests saw; without it a test run leaves docs/ alone.
/// </remarks>
public sealed partial class BrowserSession : IAsyncDisposable
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<BrowserSession>> Opened = new();
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<string> _errors = [];
    private readonly string _screenshots;
    private readonly string? _guidePictures;
    private int _shots;

    public const string GuidePicturesVariable = "KOSMO_GUIDE_PICTURES";

    public BrowserSession(string? guide = null)
    {
        var test = TestContext.CurrentContext.Test;
        var sessions = Opened.GetOrAdd(test.ID, _ => []);
        lock (sessions)
        {
            sessions.Add(this);
        }

        _screenshots = Path.Combine(RepositoryPaths.TestProject, "TestResults", "screenshots", Unsafe().Replace(test.Name, "_"));
        if (guide is not null && Environment.GetEnvironmentVariable(GuidePicturesVariable) == "1")
        {
            _guidePictures = Path.Combine(RepositoryPaths.Root, "docs", "member-guide", guide);
            Directory.CreateDirectory(_guidePictures);
        }

        if (Directory.Exists(_screenshots))
        {
            Directory.Delete(_screenshots, recursive: true);
        }
    }

    public IReadOnlyList<string> Screenshots =>
        Directory.Exists(_screenshots) ? Directory.GetFiles(_screenshots, "*.png").Order().ToList() : [];

    public async Task<IPage> NewDeviceAsync(Device device)
    {
        var options = device switch
        {
            Device.Phone => new BrowserNewContextOptions
            {
                ViewportSize = new ViewportSize { Width = 390, Height = 844 },
                IsMobile = true,
                HasTouch = true,
                DeviceScaleFactor = 2,
            },
            _ => new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } },
        };
        options.Locale = "ja-JP";
        options.TimezoneId = "Asia/Tokyo";
        var context = await BrowserRun.Browser.NewContextAsync(options);
        context.SetDefaultTimeout(15_000);
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        var label = device.ToString().ToLowerInvariant();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_errors)
                {
                    _errors.Add($"[{label}] console error at {message.Location}: {message.Text} ({page.Url})");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add($"[{label}] page error: {error} ({page.Url})");
            }
        };
        return page;
    }

    /// <summary>Saves a full-page PNG as TestResults/screenshots/&lt;test&gt;/&lt;nn&gt;-&lt;name&gt;.png, then fails on any console error so far.</summary>
    public async Task ScreenshotAsync(IPage page, string name)
    {
        await page.WaitForLoadStateAsync(LoadState.Load);
        Directory.CreateDirectory(_screenshots);
        var path = Path.Combine(_screenshots, $"{Interlocked.Increment(ref _shots):00}-{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path);
        if (_guidePictures is not null)
        {
            File.Copy(path, Path.Combine(_guidePictures, name + ".png"), overwrite: true);
        }

        AssertNoErrors();
        if (page.ViewportSize is { Width: < 600 })
        {
            var small = await SmallTapTargetsAsync(page);
            Assert.That(small, Is.Empty, $"on a phone, actions shorter than 44 px at {page.Url.Split('?')[0]}");
        }
    }

    /// <summary>
    /// The provider's buttons, disclosure toggles and links that stand alone (not a link inside a
    /// sentence) shorter than 44 px: members tap them on phones (WCAG 2.5.5).
    /// </summary>
    public static async Task<IReadOnlyList<string>> SmallTapTargetsAsync(IPage page) =>
        await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.page button, .page summary, .page a, .site-header button')]
                .filter(element => {
                    const box = element.getBoundingClientRect();
                    const alone = element.tagName !== 'A' || element.parentElement.textContent.trim() === element.textContent.trim();
                    return box.width > 0 && box.height > 0 && !element.closest('.visually-hidden') && alone && box.height < 43.5;
                })
                .map(element => `${element.tagName.toLowerCase()}#${element.id} "${element.textContent.trim().slice(0, 40)}" ${Math.round(element.getBoundingClientRect().height)} px`)
            """);

    /// <summary>Runs axe-core on the page; fails on violations of impact "serious" or "critical", listing each with its elements.</summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        var serious = await SeriousViolationsAsync(page);
        Assert.That(serious, Is.Empty, $"axe on {page.Url}:\n" + string.Join("\n", serious));
    }

    /// <summary>axe-core's violations of impact "serious" or "critical" on the page, each with its elements.</summary>
    public static async Task<IReadOnlyList<string>> SeriousViolationsAsync(IPage page)
    {
        var result = await page.RunAxe();
        return result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Impact} {v.Id}: {v.Help} ({v.HelpUrl})" + string.Concat(v.Nodes.Select(n => "\n    " + n.Html)))
            .ToList();
    }

    /// <summary>What the browser reported so far: console errors and uncaught page errors.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>The sessions a test opened, handed over once (to its tear-down), so an error after its last screenshot is not lost.</summary>
    public static IReadOnlyList<BrowserSession> TakeOpenedBy(string testId) =>
        Opened.TryRemove(testId, out var sessions) ? sessions : [];

    public void AssertNoErrors()
    {
        lock (_errors)
        {
            Assert.That(_errors, Is.Empty, "the browser reported errors:\n" + string.Join("\n", _errors));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }
    }

    [GeneratedRegex(@"[^A-Za-z0-9_.-]")]
    private static partial Regex Unsafe();
}
