using System.Diagnostics;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL server from the machine's own binaries: a fresh data directory in the
/// temp folder, a free loopback port, durability off (tests need speed, not crash safety), and
/// removed at the end. initdb refuses to run as root, so as root the server runs as `postgres`.
/// </summary>
internal sealed class LocalPostgres : IDisposable
{
    private readonly string _dataDirectory;
    private readonly string? _runAs;

    private LocalPostgres(string binDirectory, string dataDirectory, int port, string? runAs)
    {
        BinDirectory = binDirectory;
        _dataDirectory = dataDirectory;
        _runAs = runAs;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=20";
    }

    public string BinDirectory { get; }

    public string ConnectionString { get; }

    public static async Task<LocalPostgres> StartAsync()
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(
            "No Docker engine and no PostgreSQL server binaries (initdb, pg_ctl) were found. Install them " +
            "(Debian: `sudo apt-get install postgresql`), or set KOSMO_TEST_POSTGRES to a connection string " +
            "of a server where the user may create databases.");

        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var data = Path.Combine(Path.GetTempPath(), $"kosmo-pg-{Guid.NewGuid():N}");
        var port = FreePorts.Next();
        var server = new LocalPostgres(bin, data, port, runAs);
        await server.RunAsync("initdb", $"-D {data} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync");
        await server.RunAsync("pg_ctl",
            $"-D {data} -l {data}/server.log -w -t 60 " +
            $"-o \"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start");
        return server;
    }

    public void Dispose()
    {
        try
        {
            RunAsync("pg_ctl", $"-D {_dataDirectory} -m immediate -w stop").GetAwaiter().GetResult();
        }
        finally
        {
            if (Directory.Exists(_dataDirectory))
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
        }
    }

    private async Task RunAsync(string tool, string arguments)
    {
        var executable = Path.Combine(BinDirectory, tool);
        var start = _runAs is null
            ? new ProcessStartInfo(executable, arguments)
            : new ProcessStartInfo("runuser", $"-u {_runAs} -- {executable} {arguments}");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {await error}{await output}");
        }
    }

    private static string? FindBinDirectory()
    {
        var candidates = new List<string>();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }
}
