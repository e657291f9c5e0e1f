namespace Kosmo.Idp.Mail;

/// <summary>A mail to one member, with a plain-text body for every client and an HTML body for those that show it.</summary>
public sealed record MailMessage(string To, string Subject, string Text, string Html);
