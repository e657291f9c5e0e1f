using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// Stands in for SendGrid's API host: the service's real SendGrid client posts to it, and tests
/// read what it was sent. <see cref="Down"/> makes it answer like an unavailable provider.
/// </summary>
public sealed class MailCatcher : IAsyncDisposable
{
    public const string ApiKey = "SG.test-key-for-the-mail-catcher";

    private readonly ConcurrentQueue<CaughtMail> _mails = new();
    private WebApplication _app = null!;

    public Uri Url { get; private set; } = null!;

    public bool Down { get; set; }

    /// <summary>Addresses answered as SendGrid answers one it will never deliver to (a 400 naming the recipient).</summary>
    public ConcurrentDictionary<string, bool> RefusedAddresses { get; } = new();

    /// <summary>How long the answer to each mail takes, as a provider's round trip does (the mail is caught before it); none by default.</summary>
    public TimeSpan Delay { get; set; }

    public IReadOnlyList<CaughtMail> Mails => [.. _mails];

    public static async Task<MailCatcher> StartAsync()
    {
        var catcher = new MailCatcher();
        (catcher._app, catcher.Url) = await LocalServer.StartAsync(app => app.MapPost("/v3/mail/send", async (HttpContext context) =>
        {
            if (catcher.Down)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            try
            {
                using var body = await JsonDocument.ParseAsync(context.Request.Body);
                var mail = CaughtMail.Read(body.RootElement, context.Request.Headers.Authorization.ToString());
                if (catcher.RefusedAddresses.ContainsKey(mail.To))
                {
                    // SendGrid's own answer to an address it will not take: the field it names is the recipient's.
                    return Results.Json(new { errors = new[] { new { message = "Does not contain a valid address.", field = "personalizations.0.to.0.email", help = (string?)null } } },
                        statusCode: StatusCodes.Status400BadRequest);
                }

                catcher._mails.Enqueue(mail);
            }
            catch (Exception e)
            {
                return Results.Text(e.ToString(), statusCode: StatusCodes.Status400BadRequest);
            }

            // Taken, and then answered late: a client that gives up waiting has still had its mail delivered.
            if (catcher.Delay > TimeSpan.Zero)
            {
                await Task.Delay(catcher.Delay);
            }

            return Results.StatusCode(StatusCodes.Status202Accepted);
        }));
        return catcher;
    }

    public IReadOnlyList<CaughtMail> To(string address) => Mails.Where(m => m.To == address).ToList();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <param name="Request">The whole request body SendGrid was sent, for what the other properties leave out.</param>
public sealed record CaughtMail(string From, string FromName, string To, string Subject, string Text, string Html, string Authorization, JsonElement Request)
{
    public static CaughtMail Read(JsonElement body, string authorization)
    {
        var content = body.GetProperty("content").EnumerateArray()
            .ToDictionary(c => c.GetProperty("type").GetString()!, c => c.GetProperty("value").GetString()!);
        var from = body.GetProperty("from");
        var personalization = body.GetProperty("personalizations")[0];
        // The client puts the subject in the personalization or at the top, depending on how the mail was built.
        var subject = personalization.TryGetProperty("subject", out var own) ? own : body.GetProperty("subject");
        return new CaughtMail(
            from.GetProperty("email").GetString()!,
            from.TryGetProperty("name", out var name) ? name.GetString()! : "",
            personalization.GetProperty("to")[0].GetProperty("email").GetString()!,
            subject.GetString()!,
            content.GetValueOrDefault("text/plain", ""),
            content.GetValueOrDefault("text/html", ""),
            authorization,
            body.Clone());
    }
}
