using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests;

/// <summary>Once per test run: the PostgreSQL server every fixture creates its databases on.</summary>
[SetUpFixture]
public sealed class TestRun
{
    [OneTimeSetUp]
    public Task StartAsync() => PostgresServer.StartAsync();

    [OneTimeTearDown]
    public Task StopAsync() => PostgresServer.StopAsync();
}
