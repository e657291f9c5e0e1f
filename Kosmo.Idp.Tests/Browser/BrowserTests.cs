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

    [OneTimeTearDown]
    public async Task StopHostAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
