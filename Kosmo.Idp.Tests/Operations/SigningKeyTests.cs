using System.Net;
using System.Security.Cryptography;
using Kosmo.Idp.Protocol;
using Kosmo.Idp.Protocol.Keys;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kosmo.Idp.Tests.Operations;

public sealed class SigningKeyTests
{
    [Test]
    public async Task SigningKeys_AreStoredEncrypted_AndTheSameAfterARestart()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        string firstJwks;
        await using (var first = new KosmoFactory(connection))
        {
            firstJwks = await first.Browser().GetStringAsync("/.well-known/jwks");
            var stored = await TestMembers.WithDbAsync(first, db => db.ProtocolKeys.Where(k => k.Purpose == ProtocolKeyPurpose.Signing).ToListAsync());
            Assert.That(stored, Has.Count.EqualTo(1));
            using var rsa = RSA.Create();
            Assert.That(() => rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(stored[0].ProtectedMaterial), out _),
                Throws.InstanceOf<CryptographicException>(), "the stored form is not the private key");
        }

        await using var second = new KosmoFactory(connection);
        var secondJwks = await second.Browser().GetStringAsync("/.well-known/jwks");
        Assert.That(KeyIds(secondJwks), Is.EqualTo(KeyIds(firstJwks)));
    }

    [Test]
    public async Task Rotation_PublishesTheNewKeyBeforeItSigns_AndKeepsTheOldOneUntilItsTokensExpired()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = await KosmoFactory.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var app = TestRelyingApp.Portal(factory);
        var original = KeyIds(await app.Backchannel.GetStringAsync("/.well-known/jwks")).Single();

        ProtocolKey rotated;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            rotated = await scope.ServiceProvider.GetRequiredService<ProtocolKeyStore>().RotateSigningKeyAsync(TimeSpan.FromHours(1), CancellationToken.None);
        }

        await RefreshKeysAsync(factory);
        Assert.That(KeyIds(await app.Backchannel.GetStringAsync("/.well-known/jwks")), Is.EquivalentTo(new[] { original, rotated.KeyId }), "announced at once");
        Assert.That(await SigningKeyIdAsync(app), Is.EqualTo(original), "but not signing yet");

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await RefreshKeysAsync(factory);
        Assert.That(await SigningKeyIdAsync(app), Is.EqualTo(rotated.KeyId), "signs once announced long enough");
        Assert.That(KeyIds(await app.Backchannel.GetStringAsync("/.well-known/jwks")), Does.Contain(original), "old tokens still verify");

        var retention = factory.Services.GetRequiredService<IOptions<ProtocolOptions>>().Value.LongestTokenLifetime;
        clock.Advance(retention + TimeSpan.FromSeconds(1));
        await RefreshKeysAsync(factory);
        Assert.That(KeyIds(await app.Backchannel.GetStringAsync("/.well-known/jwks")), Is.EqualTo(new[] { rotated.KeyId }), "retired after its last token expired");
    }

    [Test]
    public async Task Withdrawal_OfTheKeySigningNow_TakesItOutOfTheJwksAtOnce_AndItsTokensStopWorking()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await TestMembers.AddAsync(factory, "W0001", "password-w0001");
        var app = TestRelyingApp.Portal(factory);
        var tokens = await app.SignedInTokensAsync("W0001", "password-w0001");
        var leaked = new JsonWebToken(tokens.AccessToken).Kid;

        var (refused, _, warning) = await OperatorShell.RunAsync(factory.ConnectionString, "keys", "withdraw", leaked);
        Assert.That((refused, warning), Is.EqualTo((2, "Every token this key signed stops working (members sign in again): add --yes to do it.\n")));
        var (unknown, _, _) = await OperatorShell.RunAsync(factory.ConnectionString, "keys", "withdraw", "no-such-kid", "--yes");
        Assert.That(unknown, Is.EqualTo(1));

        // The leaked key had signed since yesterday.
        await TestMembers.WithDbAsync(factory, db => db.ProtocolKeys.Where(k => k.KeyId == leaked)
            .ExecuteUpdateAsync(set => set.SetProperty(k => k.ActivatesAt, k => k.ActivatesAt.AddDays(-1))));
        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "keys", "withdraw", leaked, "--yes", "--reason", "incident 7");
        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain($"Signing key {leaked} withdrawn. New signing key"));
        var listed = (await OperatorShell.RunAsync(factory.ConnectionString, "keys", "list")).Output;
        var replacementLine = listed.Split('\n').Single(line => line.StartsWith("signing", StringComparison.Ordinal));
        var listedFrom = DateTime.ParseExact(System.Text.RegularExpressions.Regex.Match(replacementLine, @"\d{4}-\d\d-\d\d \d\d:\d\d").Value, "yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(listedFrom, Is.GreaterThan(DateTime.UtcNow.AddMinutes(-5)), "the replacement is listed from when it was made, not from the withdrawn key's start: " + replacementLine);
        await RefreshKeysAsync(factory);

        var published = KeyIds(await app.Backchannel.GetStringAsync("/.well-known/jwks"));
        Assert.That(published, Has.Count.EqualTo(1).And.Not.Contain(leaked), "neither published nor trusted any longer");
        Assert.That(await SigningKeyIdAsync(app), Is.EqualTo(published.Single()), "the new key signs at once");
        Assert.That((await app.RefreshAsync(tokens.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "a token the key signed is refused: the member signs in again");
        var audit = await TestMembers.WithDbAsync(factory, db => db.AuditEvents.SingleAsync(e => e.Kind == Kosmo.Idp.Operations.Audit.AuditKinds.SigningKeyWithdrawn));
        Assert.That(audit.Detail, Does.Contain(leaked).And.Contain("incident 7"));
    }

    [Test]
    public async Task EncryptionRotation_IsReadEverywhereBeforeItEncrypts_ThenEncryptsNewTokens_AndTheOldKeyStillReadsItsTokens()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = await KosmoFactory.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        await TestMembers.AddAsync(factory, "W0002", "password-w0002");
        var app = TestRelyingApp.Portal(factory);
        var before = await app.SignedInTokensAsync("W0002", "password-w0002");

        var (refused, _, _) = await OperatorShell.RunAsync(factory.ConnectionString, "keys", "rotate", "--encryption", "--announce", "01:00:00");
        Assert.That(refused, Is.EqualTo(2), "nothing to announce: only the provider reads these tokens");
        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "keys", "rotate", "--encryption");
        Assert.That(exit, Is.Zero, errors);
        var added = System.Text.RegularExpressions.Regex.Match(output, "New encryption key (?<kid>\\S+) ").Groups["kid"].Value;
        await RefreshKeysAsync(factory);
        var (_, listed, _) = await OperatorShell.RunAsync(factory.ConnectionString, "keys", "list");
        Assert.That(listed, Does.Match($"encryption +2 +{added} .* announced").And.Match("encryption +1 .* encrypting"));
        var meanwhile = await app.RefreshAsync(before.RefreshToken!);
        Assert.That(EncryptedWith(meanwhile.RefreshToken!), Is.Not.EqualTo(added),
            "not yet: a replica that has not read the new key would be handed codes it cannot open");

        var interval = factory.Services.GetRequiredService<IOptions<KeyOptions>>().Value.RefreshInterval;
        // The command dated the key by the real clock, which has moved on since this fake one started.
        clock.Advance(2 * interval + TimeSpan.FromMinutes(1));
        await RefreshKeysAsync(factory);
        var after = await app.RefreshAsync(meanwhile.RefreshToken!);
        Assert.That(after.RefreshToken, Is.Not.Null, "a refresh token the old key encrypted still works: " + after.Body);
        Assert.That(EncryptedWith(after.RefreshToken!), Is.EqualTo(added), "the new one is encrypted with the new key");
        Assert.That(EncryptedWith(before.RefreshToken!), Is.Not.EqualTo(added));
    }

    [Test]
    public async Task Withdrawal_NeverBringsBackAnOlderKey_ThatMayHaveLeakedWithIt()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = await KosmoFactory.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var app = TestRelyingApp.Portal(factory);
        var first = KeyIds(await app.Backchannel.GetStringAsync("/.well-known/jwks")).Single();
        var retention = factory.Services.GetRequiredService<IOptions<ProtocolOptions>>().Value.LongestTokenLifetime;
        ProtocolKey second;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            second = await scope.ServiceProvider.GetRequiredService<ProtocolKeyStore>().RotateSigningKeyAsync(TimeSpan.Zero, CancellationToken.None);
        }

        clock.Advance(retention + TimeSpan.FromMinutes(1));
        await RefreshKeysAsync(factory);
        Assert.That(KeyIds(await app.Backchannel.GetStringAsync("/.well-known/jwks")), Is.EqualTo(new[] { second.KeyId }), "the first key has retired");

        WithdrawnKey withdrawn;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var announced = await scope.ServiceProvider.GetRequiredService<ProtocolKeyStore>().RotateSigningKeyAsync(TimeSpan.FromDays(1), CancellationToken.None);
            withdrawn = (await scope.ServiceProvider.GetRequiredService<SigningKeyWithdrawal>().WithdrawAsync(
                second.KeyId, retention, new Kosmo.Idp.Operations.MemberCommands.OperatorNote("test", null), CancellationToken.None))!;
            Assert.That(withdrawn.Cancelled.Select(k => k.KeyId), Is.EqualTo(new[] { announced.KeyId }),
                "a rotation announced after it would never sign under the replacement: cancelled, and said");
        }

        await RefreshKeysAsync(factory);
        var published = KeyIds(await app.Backchannel.GetStringAsync("/.well-known/jwks"));
        Assert.That(published, Is.EqualTo(new[] { withdrawn.Replacement!.KeyId }), "only the replacement: no retired, withdrawn or cancelled key");
        Assert.That(await SigningKeyIdAsync(app), Is.EqualTo(published.Single()));
    }

    // A JWE's kid, in its protected header (the first of its five parts).
    private static string EncryptedWith(string token) =>
        System.Text.Json.JsonDocument.Parse(Base64UrlEncoder.Decode(token.Split('.')[0])).RootElement.GetProperty("kid").GetString()!;

    private static Task RefreshKeysAsync(KosmoFactory factory) =>
        factory.Services.GetRequiredService<ProtocolKeyRefresher>().RefreshAsync(CancellationToken.None);

    private static async Task<string> SigningKeyIdAsync(TestRelyingApp app)
    {
        var tokens = await app.TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials" });
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());
        return new JsonWebToken(tokens.AccessToken).Kid;
    }

    private static List<string> KeyIds(string jwks) => new JsonWebKeySet(jwks).Keys.Select(k => k.Kid).ToList();
}
