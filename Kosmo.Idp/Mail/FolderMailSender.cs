using System.Globalization;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Mail;

/// <summary>
/// For a developer's machine: each mail becomes a text file and an HTML file in a folder, and
/// the log says where, so the links in them can be opened without a mail account.
/// </summary>
public sealed class FolderMailSender(IOptions<MailOptions> options, IHostEnvironment environment, TimeProvider time, ILogger<FolderMailSender> logger) : IMailSender
{
    public async Task SendAsync(MailMessage message, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(environment.ContentRootPath, options.Value.Folder);
        var name = time.GetUtcNow().ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
        var header = $"From: {options.Value.FromName} <{options.Value.FromAddress}>\nTo: {message.To}\nSubject: {message.Subject}\n\n";
        try
        {
            Shared.PrivateFiles.CreateFolder(folder);
            await Shared.PrivateFiles.WriteTextAsync(Path.Combine(folder, name + ".txt"), header + message.Text, cancellationToken);
            await Shared.PrivateFiles.WriteTextAsync(Path.Combine(folder, name + ".html"), message.Html, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // As a provider that refuses: the page says the mail could not be sent, and the send is given back.
            throw new MailNotSentException($"The mail folder {folder} cannot be written: {e.Message}", e);
        }

        logger.LogInformation("Mail \"{Subject}\" written to {MailFile}", message.Subject, Path.Combine(folder, name + ".txt"));
    }
}
