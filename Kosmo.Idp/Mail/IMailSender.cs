namespace Kosmo.Idp.Mail;

public interface IMailSender
{
    /// <summary>Hands the mail to the provider; throws <see cref="MailNotSentException"/> when it was not accepted.</summary>
    Task SendAsync(MailMessage message, CancellationToken cancellationToken);
}

/// <summary>The mail provider refused or could not be reached; the member is told to retry and loses nothing.</summary>
public class MailNotSentException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The provider took the mail but gave no answer in time: it may well deliver it. Whoever only needs
/// to know that it was not confirmed treats this as not sent; a mail carrying a secret keeps the
/// secret working, or the mail that arrives late would carry a dead code or link.
/// </summary>
public sealed class MailMaybeSentException(string message, Exception? inner = null) : MailNotSentException(message, inner);

/// <summary>
/// The provider will never deliver to this address (SendGrid refuses it as malformed): sending again
/// cannot help, so the member is asked to check the address, and a notice to it is given up at once.
/// </summary>
public sealed class MailAddressRefusedException(string message) : MailNotSentException(message);
