using Kosmo.Idp.Operations.Telemetry;
using Microsoft.Extensions.Options;
using SendGrid;
using SendGrid.Helpers.Mail;

namespace Kosmo.Idp.Mail;

/// <summary>Sends through SendGrid's v3 API with the official client, on a pooled HttpClient.</summary>
public sealed class SendGridMailSender(IHttpClientFactory httpClients, IOptions<MailOptions> options, ILogger<SendGridMailSender> logger, KosmoMetrics? metrics = null) : IMailSender
{
    public async Task SendAsync(MailMessage message, CancellationToken cancellationToken)
    {
        var mail = options.Value;
        var clientOptions = new SendGridClientOptions { ApiKey = mail.SendGrid.ApiKey };
        if (mail.SendGrid.Host is { } host)
        {
            clientOptions.Host = host.ToString().TrimEnd('/');
        }

        var client = new SendGridClient(httpClients.CreateClient(MailRegistration.SendGridHttpClient), clientOptions);
        var sendGridMessage = MailHelper.CreateSingleEmail(
            new EmailAddress(mail.FromAddress, mail.FromName), new EmailAddress(message.To), message.Subject, message.Text, message.Html);
        // Whatever the SendGrid account's defaults: click tracking would send the single-use link
        // through SendGrid's redirector (and past filters that distrust it), open tracking would add
        // an image that mail clients ask before loading, and an unsubscribe footer has no place in
        // a one-time password mail.
        sendGridMessage.SetClickTracking(false, false);
        sendGridMessage.SetOpenTracking(false);
        sendGridMessage.SetSubscriptionTracking(false);
        // SendGrid's statistics and bounces split by kind of mail; RFC 3834 tells auto-responders not to answer.
        sendGridMessage.AddCategory(message.Category);
        sendGridMessage.Headers = new Dictionary<string, string> { ["Auto-Submitted"] = "auto-generated" };

        Response response;
        try
        {
            response = await client.SendEmailAsync(sendGridMessage, cancellationToken);
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            if (e is HttpRequestException or TaskCanceledException)
            {
                // The network's own words say it (refused, timed out, TLS); a stack trace adds nothing an operator acts on.
                logger.LogError("SendGrid could not be reached at {Host}: {Reason}", clientOptions.Host,
                    e is TaskCanceledException ? "no answer in time" : e.GetBaseException().Message);
            }
            else
            {
                // Anything else is a fault worth its stack trace, but still a mail not sent: the member is told
                // so and keeps the limits the send had counted, instead of an error page and a mail that never comes.
                logger.LogError(e, "SendGrid's client failed at {Host}", clientOptions.Host);
            }

            // A request that timed out may have been accepted all the same (its secret stays live, and it is
            // counted by what it carried, as sent); one refused or not connected was not.
            if (e is TaskCanceledException)
            {
                throw new MailMaybeSentException("SendGrid did not answer in time.", e);
            }

            metrics?.MailFailed();
            throw new MailNotSentException("SendGrid could not be reached.", e);
        }

        if (!response.IsSuccessStatusCode)
        {
            // SendGrid's error body says what was wrong (sender not verified, key lacks permission); it holds no secret.
            var reason = await response.Body.ReadAsStringAsync(cancellationToken);
            metrics?.MailFailed();
            if (response.StatusCode == System.Net.HttpStatusCode.BadRequest && RefusesTheRecipient(reason))
            {
                // The member's typing, not the operator's settings: no error to act on, and no address in the log.
                logger.LogWarning("SendGrid refused the recipient's address: {Reason}", reason.Length > 500 ? reason[..500] : reason);
                throw new MailAddressRefusedException("SendGrid refused the recipient's address.");
            }

            logger.LogError("SendGrid refused a mail with status {StatusCode}: {Reason}", (int)response.StatusCode, reason.Length > 500 ? reason[..500] : reason);
            throw new MailNotSentException(response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden
                ? $"SendGrid answered {(int)response.StatusCode}: check Mail:SendGrid:ApiKey (a key with the Mail Send permission)."
                : $"SendGrid answered {(int)response.StatusCode}.");
        }

        logger.LogInformation("Mail \"{Subject}\" accepted by SendGrid", message.Subject);
    }

    /// <summary>
    /// SendGrid names the field it refused ("personalizations.0.to.0.email" for a malformed address);
    /// a single mail has one recipient, so a refused "to" field is this member's address. Only when
    /// that is all it refused: an error of the sender's or the account's alongside is the operator's.
    /// </summary>
    internal static bool RefusesTheRecipient(string body)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == System.Text.Json.JsonValueKind.Array
                && errors.GetArrayLength() > 0
                && errors.EnumerateArray().All(e => e.ValueKind == System.Text.Json.JsonValueKind.Object
                    && e.TryGetProperty("field", out var field) && field.ValueKind == System.Text.Json.JsonValueKind.String
                    && field.GetString()!.StartsWith("personalizations.0.to", StringComparison.Ordinal));
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
