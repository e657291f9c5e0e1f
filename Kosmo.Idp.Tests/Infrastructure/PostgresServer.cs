using Npgsql;
using Testcontainers.PostgreSql;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run, each test fixture on its own fresh database.
/// Where it comes from, first that works: KOSMO_TEST_POSTGRES (a connection string the developer
/// chose), a Testcontainers container when a Docker engine answers, or a throwaway server started
/// from the local PostgreSQL binaries. See DEVELOPERS.md.
/// </summary>
public static class PostgresServer
{
    public const string ConnectionVariable = "KOSMO_TEST_POSTGRES";

    private static string? _adminConnection;
    private static PostgreSqlContainer? _container;
    private static LocalPostgres? _local;
    private static int _databases;

    public static string AdminConnection => _adminConnection
        ?? throw new InvalidOperationException("The PostgreSQL fixture has not started.");

    public static string Source { get; private set; } = "";

    public static async Task StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _adminConnection = configured;
            Source = ConnectionVariable;
        }
        else if (await TryContainerAsync() is { } container)
        {
            _container = container;
            _adminConnection = container.GetConnectionString();
            Source = "Testcontainers";
        }
        else
        {
            _local = await LocalPostgres.StartAsync();
            _adminConnection = _local.ConnectionString;
            Source = "local PostgreSQL " + _local.BinDirectory;
        }

        TestContext.Progress.WriteLine($"PostgreSQL for tests: {Source}");
    }

    public static async Task StopAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }

        _local?.Dispose();
    }

    /// <summary>A new, empty database; its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var name = $"kosmo_test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await using (var connection = new NpgsqlConnection(AdminConnection))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnection) { Database = name }.ConnectionString;
    }

    /// <summary>Makes a database disappear under a running service, as an outage would.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(AdminConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgreSqlContainer?> TryContainerAsync()
    {
        try
        {
            var container = new PostgreSqlBuilder("postgres:17-alpine").Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await container.StartAsync(timeout.Token);
            return container;
        }
        catch (Exception e)
        {
            TestContext.Progress.WriteLine($"No Docker engine for Testcontainers ({e.GetType().Name}); using local PostgreSQL.");
            return null;
        }
    }
}
