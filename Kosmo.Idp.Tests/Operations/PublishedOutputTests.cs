using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>
/// The image cannot be built here (no Docker engine), so this test builds what the image would
/// contain, with the Dockerfile's own restore and publish commands on a copy of the sources as
/// `COPY` would make it, and runs that output as the image would: Production settings from
/// environment variables, `migrate` first, then the service behind a trusted proxy.
/// </summary>
[Category("Published")]
public sealed partial class PublishedOutputTests
{
    [Test]
    public async Task TheImagesPublishOutput_Migrates_StartsInProduction_ServesReady_AndStopsGracefully()
    {
        var work = Directory.CreateTempSubdirectory("kosmo-published-").FullName;
        try
        {
            var app = await PublishLikeTheDockerfileAsync(work);
            Assert.That(File.Exists(Path.Combine(app, "Content", "terms", "terms-2026-04.ja.txt")), "the terms texts ship with the binary");

            var port = FreePort();
            var environment = await ProductionEnvironmentAsync(work, port);
            var (migrateExit, migrateOutput) = await RunToEndAsync(app, environment, "migrate");
            Assert.That(migrateExit, Is.Zero, migrateOutput);

            using var service = Start(app, environment);
            var log = new StringBuilder();
            service.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            service.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            service.BeginOutputReadLine();
            service.BeginErrorReadLine();

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var started = Stopwatch.StartNew();
            while (!await ReadyAsync(http) && started.Elapsed < TimeSpan.FromSeconds(60) && !service.HasExited)
            {
                await Task.Delay(50);
            }

            Assert.That(await ReadyAsync(http), Is.True, "ready; log:\n" + log);
            await TestContext.Out.WriteLineAsync($"start to ready (published, Production, PostgreSQL, schema migrated): {started.ElapsedMilliseconds} ms");

            // Behind the proxy the protocol sees https; a request that did not come through it is refused by RequireHttps.
            using var throughProxy = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
            throughProxy.Headers.Add("X-Forwarded-Proto", "https");
            var discovery = await http.SendAsync(throughProxy);
            Assert.That(discovery.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            var issuer = JsonDocument.Parse(await discovery.Content.ReadAsStringAsync()).RootElement.GetProperty("issuer").GetString();
            Assert.That(issuer, Is.EqualTo("https://id.kosmo.test/"));
            Assert.That((await http.GetAsync("/.well-known/openid-configuration")).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "plain http refused");

            var login = await http.GetStringAsync("/login");
            Assert.That(login, Does.Contain("<html lang=\"ja\"").And.Contain("ログイン"));

            var (healthExit, healthOutput) = await RunToEndAsync(app, new Dictionary<string, string>(), "health", "--url", $"http://127.0.0.1:{port}/health/ready");
            Assert.That(healthExit, Is.Zero, healthOutput);

            // SIGTERM, as docker stop and Kubernetes send it.
            using (var kill = Process.Start("kill", ["-TERM", service.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await service.WaitForExitAsync(stop.Token);
            Assert.That(service.ExitCode, Is.Zero, "a graceful stop; log:\n" + log);
            Assert.That(log.ToString(), Does.Not.Contain("Exception"), "no exception logged");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Copies the sources as the Dockerfile's COPY does (without bin/obj/App_Data) and runs its restore and publish lines.</summary>
    private static async Task<string> PublishLikeTheDockerfileAsync(string work)
    {
        var root = RepositoryRoot();
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(root, "Dockerfile"));
        var restore = RestoreCommand().Match(dockerfile);
        var publish = PublishCommand().Match(dockerfile);
        Assert.That(restore.Success && publish.Success, "the Dockerfile has a restore and a publish command");

        var sources = Path.Combine(work, "src");
        CopySources(Path.Combine(root, "Kosmo.Idp"), Path.Combine(sources, "Kosmo.Idp"));
        var output = Path.Combine(work, "app");
        await DotnetAsync(sources, restore.Groups["args"].Value);
        await DotnetAsync(sources, publish.Groups["args"].Value.Replace("-o /app", "-o " + output, StringComparison.Ordinal));
        return output;
    }

    private static async Task<Dictionary<string, string>> ProductionEnvironmentAsync(string work, int port)
    {
        var certificate = Path.Combine(work, "dataprotection.pfx");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=kosmo-dataprotection-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            await File.WriteAllBytesAsync(certificate, self.Export(X509ContentType.Pfx, "test-pfx-password"));
        }

        return new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ConnectionStrings__Kosmo"] = await PostgresServer.CreateDatabaseAsync(),
            ["Database__MigrateOnStart"] = "false",
            ["Protocol__Issuer"] = "https://id.kosmo.test/",
            ["DataProtection__CertificatePath"] = certificate,
            ["DataProtection__CertificatePassword"] = "test-pfx-password",
            ["Mail__SendGrid__ApiKey"] = "SG.published-output-test",
            ["Proxy__TrustedNetworks__0"] = "127.0.0.1/32",
            ["Shutdown__DrainDelay"] = "00:00:01",
        };
    }

    private static Process Start(string app, IDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(app, "Kosmo.Idp.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start)!;
    }

    private static async Task<(int Exit, string Output)> RunToEndAsync(string app, IDictionary<string, string> environment, params string[] arguments)
    {
        using var process = Start(app, environment, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }

    private static async Task DotnetAsync(string directory, string arguments)
    {
        var start = new ProcessStartInfo("dotnet", arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, $"dotnet {arguments}\n{await output}{await errors}");
    }

    private static async Task<bool> ReadyAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static void CopySources(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            var top = relative.Split(Path.DirectorySeparatorChar)[0];
            if (top is "bin" or "obj" or "App_Data")
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Kosmo.Idp.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Kosmo.Idp.sln not found above the test directory.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"RUN dotnet (?<args>restore [^\n]+)")]
    private static partial Regex RestoreCommand();

    [GeneratedRegex(@"dotnet (?<args>publish [^\n]+-o /app)")]
    private static partial Regex PublishCommand();
}
