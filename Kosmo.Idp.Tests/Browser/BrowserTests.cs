namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// A browser test class: one provider with its two relying apps for all its tests (each test
/// adds members of its own), started before the first and stopped after the last.
/// </summary>
[Category("Browser")]
public abstract class BrowserTests
{
    private BrowserHost? _host;

    protected BrowserHost Host => _host ?? throw new InvalidOperationException("The browser host has not started.");

    /// <summary>Provider settings this class needs beyond the defaults.</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    [OneTimeSetUp]
    public async Task StartHostAsync() => _host = await BrowserHost.StartAsync(Settings);

    /// <summary>
    /// Screenshots check for console errors as a test goes; this catches one that came after the
    /// last of them. Only for a test that passed: a failing test keeps its own message.
    /// </summary>
    [TearDown]
    public void FailOnLateBrowserErrors()
    {
        var test = TestContext.CurrentContext;
        foreach (var session in BrowserSession.TakeOpenedBy(test.Test.ID))
        {
            if (test.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Passed)
            {
                session.AssertNoErrors();
            }
        }
    }

    [OneTimeTearDown]
    public async Task StopHostAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
