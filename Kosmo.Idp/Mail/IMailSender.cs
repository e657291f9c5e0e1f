namespace Kosmo.Idp.Mail;

public interface IMailSender
{
    /// <summary>Hands the mail to the provider; throws <see cref="MailNotSentException"/> when it was not accepted.</summary>
    Task SendAsync(MailMessage message, CancellationToken cancellationToken);
}

/// <summary>The mail provider refused or could not be reached; the member is told to retry and loses nothing.</summary>
public sealed class MailNotSentException(string message, Exception? inner = null) : Exception(message, inner);
