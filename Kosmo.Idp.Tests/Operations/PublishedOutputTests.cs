using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

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
    private string _work = null!;
    private string _app = null!;

    [OneTimeSetUp]
    public async Task PublishAsync()
    {
        _work = Directory.CreateTempSubdirectory("kosmo-published-").FullName;
        _app = await PublishLikeTheDockerfileAsync(_work);
    }

    [OneTimeTearDown]
    public void DeleteOutput() => Directory.Delete(_work, recursive: true);

    [Test]
    public async Task TheImagesPublishOutput_Migrates_StartsInProduction_ServesReady_AndStopsGracefully()
    {
        Assert.That(File.Exists(Path.Combine(_app, "Content", "terms", "terms-2026-04.ja.txt")), "the terms texts ship with the binary");

        var environment = await ProductionEnvironmentAsync(_work);
        // A command after an option is not taken for the service's own arguments: a migration Job would serve instead.
        var (misplacedExit, misplacedOutput) = await RunToEndAsync(_app, environment, "--urls", "http://127.0.0.1:9", "migrate");
        Assert.That((misplacedExit, misplacedOutput), Is.EqualTo((2, misplacedOutput)));
        Assert.That(misplacedOutput, Does.Contain("'migrate' is a command: put it first"));

        var (migrateExit, migrateOutput) = await RunToEndAsync(_app, environment, "migrate");
        Assert.That(migrateExit, Is.Zero, migrateOutput);

        // A refused setting stops the start with a Fatal line that names the section an operator sets.
        var (refusedExit, refusedOutput) = await RunToEndAsync(_app, new Dictionary<string, string>(environment)
        {
            ["Session__IdleTimeout"] = "13:00:00", ["Pruning__AuditRetention"] = "1.00:00:00", ["Protocol__Issuer"] = "http://id.kosmo.test/",
        });
        Assert.That(refusedExit, Is.EqualTo(1), "a plain failure, not the runtime's abort (134)");
        Assert.That(refusedOutput, Does.Not.Contain("Unhandled exception").And.Not.Contain("Hosting failed to start"), "the Fatal line is the only account of it");
        var fatal = refusedOutput.Split('\n').Single(line => line.Contains("The service could not start", StringComparison.Ordinal));
        Assert.That(fatal, Does.Contain("settings section Session").And.Contain("IdleTimeout")
            .And.Contain("settings section Pruning").And.Contain("AuditRetention")
            .And.Contain("settings section Protocol").And.Contain("must be an https URL in production")
            .And.Not.Contain("   at "), "every refused section, no stack trace in the log line");

        // So is a value that cannot be read as its type at all.
        var (unreadableExit, unreadableOutput) = await RunToEndAsync(_app, new Dictionary<string, string>(environment) { ["PasswordPolicy__RequireLetter"] = "maybe" });
        Assert.That(unreadableExit, Is.EqualTo(1), unreadableOutput);
        Assert.That(unreadableOutput, Does.Not.Contain("Hosting failed to start").And.Not.Contain("   at "), "one line, no stack trace");
        Assert.That(unreadableOutput.Split('\n').Single(line => line.Contains("The service could not start", StringComparison.Ordinal)),
            Does.Contain("'maybe' at 'PasswordPolicy:RequireLetter'"));

        // A database that cannot be reached is named as such, its password nowhere.
        var (unreachableExit, unreachableOutput) = await RunToEndAsync(_app, new Dictionary<string, string>(environment)
        {
            ["ConnectionStrings__Kosmo"] = "Host=127.0.0.1;Port=1;Database=kosmo;Username=kosmo;Password=not-in-any-log;Timeout=3",
        });
        Assert.That(unreachableExit, Is.EqualTo(1), unreachableOutput);
        Assert.That(unreachableOutput.Split('\n').Single(line => line.Contains("The service could not start", StringComparison.Ordinal)),
            Does.Contain("the database (ConnectionStrings:Kosmo) cannot be reached"));
        Assert.That(unreachableOutput, Does.Not.Contain("not-in-any-log"));

        // A metrics port the server does not listen on (the metrics lost without a word), or its only port
        // (every page 404 while the probes say ready), is refused once the server has bound its ports.
        var (listening, elsewhere) = (FreePorts.Next(), FreePorts.Next());
        foreach (var (metricsPort, reason) in new[] { (elsewhere, $"but the service listens on {listening} only"), (listening, "the only port the service listens on") })
        {
            var (portExit, portOutput) = await RunToEndAsync(_app, new Dictionary<string, string>(environment)
            {
                ["ASPNETCORE_HTTP_PORTS"] = listening.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Telemetry__MetricsPort"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            Assert.That(portExit, Is.EqualTo(1), portOutput);
            Assert.That(portOutput.Split('\n').Single(line => line.Contains("The service could not start", StringComparison.Ordinal)),
                Does.Contain($"Telemetry:MetricsPort is {metricsPort}").And.Contain(reason));
        }

        var started = Stopwatch.StartNew();
        using var service = await RunningService.StartAsync(_app, environment);
        await TestContext.Out.WriteLineAsync($"start to ready (published, Production, PostgreSQL, schema migrated): {started.ElapsedMilliseconds} ms");
        var http = service.Http;

        // Behind the proxy the protocol sees https; a request that did not come through it is refused by RequireHttps.
        var discovery = await http.SendAsync(ThroughProxy(HttpMethod.Get, "/.well-known/openid-configuration"));
        Assert.That(discovery.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var issuer = JsonDocument.Parse(await discovery.Content.ReadAsStringAsync()).RootElement.GetProperty("issuer").GetString();
        Assert.That(issuer, Is.EqualTo("https://id.kosmo.test/"));
        Assert.That((await http.GetAsync("/.well-known/openid-configuration")).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "plain http refused");

        var loginPage = await http.GetAsync("/login");
        var loginHtml = await loginPage.Content.ReadAsStringAsync();
        Assert.That(loginPage.Headers.Contains("Server"), Is.False, "no banner naming the web server");
        Assert.That(loginHtml, Does.Contain("<html lang=\"ja\"").And.Contain("ログイン"));
        // Even for a request that did not say it came over TLS, the cookies a member's choices go into are Secure.
        var switchLanguage = new HttpRequestMessage(HttpMethod.Post, "/language")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["culture"] = "en", ["returnUrl"] = "/login", ["__RequestVerificationToken"] = AntiforgeryToken().Match(loginHtml).Groups["token"].Value,
            }),
        };
        switchLanguage.Headers.Add("Cookie", string.Join("; ", loginPage.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
        var switched = await http.SendAsync(switchLanguage);
        Assert.That(switched.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kosmo_language=", StringComparison.Ordinal)),
            Does.Contain("secure").IgnoreCase);

        var (healthExit, healthOutput) = await RunToEndAsync(_app, new Dictionary<string, string>(), "health", "--url", $"{http.BaseAddress}health/ready");
        Assert.That(healthExit, Is.Zero, healthOutput);

        // A body announced over Kestrel's limit (30 MB): answered 413 on the service's page, not a logged 500.
        var tooLarge = await RawRequestAsync(http.BaseAddress!,
            "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40000000\r\n\r\nUserId=a");
        Assert.That(tooLarge, Does.StartWith("HTTP/1.1 413").And.Contain("Content-Security-Policy:"), tooLarge);

        var (exitCode, log) = await service.StopAsync();
        Assert.That(exitCode, Is.Zero, "a graceful stop; log:\n" + log);
        Assert.That(log, Does.Not.Contain("Exception"), "no exception logged");
    }

    /// <summary>
    /// Two processes of the published output on one PostgreSQL, as two containers behind a load
    /// balancer: nothing that must be shared lives in one process's memory.
    /// </summary>
    [Test]
    public async Task TwoProcessesOnOneDatabase_ShareFormKeys_AttemptAllowances_AndSigningKeys()
    {
        var environment = await ProductionEnvironmentAsync(_work);
        environment["RateLimits__LoginPostsPerMinutePerAddress"] = "3";
        environment["Keys__RefreshInterval"] = "00:00:01";
        environment["RelyingApps__Apps__0__ClientId"] = "ops-batch";
        environment["RelyingApps__Apps__0__DisplayName"] = "Batch";
        environment["RelyingApps__Apps__0__Kind"] = "Confidential";
        environment["RelyingApps__Apps__0__ClientSecret"] = "ops-batch-secret-0123456789-abcdefghij";
        environment["RelyingApps__Apps__0__AllowClientCredentials"] = "true";
        Assert.That((await RunToEndAsync(_app, environment, "migrate")).Exit, Is.Zero);
        using var a = await RunningService.StartAsync(_app, environment);
        // The second started from another folder, as a service manager or an operator's shell may:
        // it still finds its settings, terms and pages beside the binary.
        using var b = await RunningService.StartAsync(_app, environment, workingDirectory: Path.GetTempPath());

        // One browser whose posts the balancer sends to either process: a form from A is accepted by
        // B (one Data Protection key ring), and both count into one allowance of 3 posts a minute.
        // The processes count by the real clock: the four posts must not straddle a new minute.
        if (DateTime.UtcNow.Second > 50)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second));
        }

        var form = await a.Http.SendAsync(ThroughProxy(HttpMethod.Get, "/login"));
        var cookie = string.Join("; ", form.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        var token = AntiforgeryToken().Match(await form.Content.ReadAsStringAsync()).Groups["token"].Value;
        var answers = new List<HttpStatusCode>();
        foreach (var replica in new[] { b, a, b, a })
        {
            var post = ThroughProxy(HttpMethod.Post, "/login");
            post.Headers.Add("Cookie", cookie);
            post.Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["UserId"] = "NOBODY", ["Password"] = "wrong-password", ["__RequestVerificationToken"] = token,
            });
            answers.Add((await replica.Http.SendAsync(post)).StatusCode);
        }

        Assert.That(answers, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }),
            "B accepts A's form; the fourth post in the minute is refused, whichever process gets it");

        // A key rotated by the operator command (a third process) is published by both.
        var (rotateExit, rotateOutput) = await RunToEndAsync(_app, environment, "keys", "rotate", "--announce", "1.00:00:00");
        Assert.That(rotateExit, Is.Zero, rotateOutput);
        var keyId = NewKeyId().Match(rotateOutput).Groups["kid"].Value;
        Assert.That(keyId, Is.Not.Empty, "the command names the new key: " + rotateOutput);
        var deadline = Stopwatch.StartNew();
        bool onA, onB;
        do
        {
            await Task.Delay(250);
            onA = (await JwksAsync(a)).Contains(keyId, StringComparison.Ordinal);
            onB = (await JwksAsync(b)).Contains(keyId, StringComparison.Ordinal);
        }
        while (!(onA && onB) && deadline.Elapsed < TimeSpan.FromSeconds(15));

        Assert.That((onA, onB), Is.EqualTo((true, true)), rotateOutput);

        // A service token issued by A validates against B's key set, as an API would check it.
        var tokenRequest = ThroughProxy(HttpMethod.Post, "/connect/token");
        tokenRequest.Content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "ops-batch", ["client_secret"] = "ops-batch-secret-0123456789-abcdefghij",
        });
        var issued = await a.Http.SendAsync(tokenRequest);
        Assert.That(issued.StatusCode, Is.EqualTo(HttpStatusCode.OK), await issued.Content.ReadAsStringAsync());
        var accessToken = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString();
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(accessToken, new TokenValidationParameters
        {
            ValidIssuer = "https://id.kosmo.test/",
            ValidateAudience = false,
            IssuerSigningKeys = new JsonWebKeySet(await JwksAsync(b)).GetSigningKeys(),
        });
        Assert.That(validation.IsValid, Is.True, validation.Exception?.Message);

        foreach (var service in new[] { a, b })
        {
            var (exitCode, log) = await service.StopAsync();
            Assert.That(exitCode, Is.Zero, log);
            Assert.That(log, Does.Not.Contain("Exception"), log);
        }
    }

    private static async Task<string> JwksAsync(RunningService service) =>
        await (await service.Http.SendAsync(ThroughProxy(HttpMethod.Get, "/.well-known/jwks"))).Content.ReadAsStringAsync();

    /// <summary>A request as the TLS-terminating proxy forwards it.</summary>
    private static HttpRequestMessage ThroughProxy(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Forwarded-Proto", "https");
        return request;
    }

    [Test]
    public async Task AnImportOnTheEmbeddedSqliteFile_InterruptedOnceItsNoticeIsWritten_AppliesNothing_AndDeletesTheNotice()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_work, "interrupted-import")).FullName;
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development", ["DOTNET_ENVIRONMENT"] = "Development",
            ["Database__SqlitePath"] = Path.Combine(folder, "kosmo.db"), ["DemoData__Enabled"] = "false",
        };
        Assert.That((await RunToEndAsync(_app, environment, "migrate")).Exit, Is.Zero);
        // Members who joined after the rule-password date: each gets a random password, hashed one by one after the notice is written.
        var roster = Path.Combine(folder, "roster.csv");
        await File.WriteAllLinesAsync(roster, Enumerable.Range(1, 400)
            .Select(i => $"I{i:0000},101,{i},1980-01-02,中断 太郎,2026-10-01,")
            .Prepend("user_id,symbol,number,birthdate,name,joined_on,email"));
        var notice = Path.Combine(folder, "notice.csv");

        using var import = Start(_app, environment, null, "members", "import", roster, "--notices", notice);
        var output = import.StandardOutput.ReadToEndAsync();
        var errors = import.StandardError.ReadToEndAsync();
        var waited = Stopwatch.StartNew();
        while (!File.Exists(notice) && !import.HasExited && waited.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(5);
        }

        Assert.That(File.Exists(notice) && !import.HasExited, Is.True, "the notice is written before the members are saved");
        // The pod's SIGTERM (a test runner may start its children with Ctrl+C's SIGINT ignored).
        using (var interrupt = Process.Start("kill", ["-TERM", import.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }

        await import.WaitForExitAsync();
        Assert.That(import.ExitCode, Is.EqualTo(1), "a handled interruption, not death by the signal (143): " + await output + await errors);
        Assert.That(await errors, Does.Contain("Interrupted: nothing was applied"));
        Assert.That(File.Exists(notice), Is.False, "no passwords that belong to nobody");
    }

    /// <summary>The published service as a process of its own, with its output kept for the assertions.</summary>
    private sealed class RunningService : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _log = new();

        private RunningService(Process process, int port)
        {
            _process = process;
            Http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10),
            };
            process.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public HttpClient Http { get; }

        public string Log { get { lock (_log) { return _log.ToString(); } } }

        public static async Task<RunningService> StartAsync(string app, IDictionary<string, string> environment, string? workingDirectory = null)
        {
            var port = FreePorts.Next();
            var settings = new Dictionary<string, string>(environment) { ["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var service = new RunningService(Start(app, settings, workingDirectory: workingDirectory), port);
            var started = Stopwatch.StartNew();
            while (!await ReadyAsync(service.Http) && started.Elapsed < TimeSpan.FromSeconds(60) && !service._process.HasExited)
            {
                await Task.Delay(50);
            }

            Assert.That(await ReadyAsync(service.Http), Is.True, "ready; log:\n" + service.Log);
            return service;
        }

        /// <summary>SIGTERM, as docker stop and Kubernetes send it; returns the exit code and the whole log.</summary>
        public async Task<(int ExitCode, string Log)> StopAsync()
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(stop.Token);
            return (_process.ExitCode, Log);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
            Http.Dispose();
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

    /// <summary>Sends <paramref name="request"/> as written (HttpClient would send the body it announces); returns the response head.</summary>
    private static async Task<string> RawRequestAsync(Uri server, string request)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[16 * 1024];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (read < buffer.Length && !Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static async Task<Dictionary<string, string>> ProductionEnvironmentAsync(string work)
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

    private static Process Start(string app, IDictionary<string, string> environment, params string[] arguments) =>
        Start(app, environment, null, arguments);

    private static Process Start(string app, IDictionary<string, string> environment, string? workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory ?? app, RedirectStandardOutput = true, RedirectStandardError = true };
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

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"(?<token>[^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [GeneratedRegex(@"New signing key (?<kid>\S+) ")]
    private static partial Regex NewKeyId();

    [GeneratedRegex(@"RUN dotnet (?<args>restore [^\n]+)")]
    private static partial Regex RestoreCommand();

    [GeneratedRegex(@"dotnet (?<args>publish [^\n]+-o /app)")]
    private static partial Regex PublishCommand();
}
