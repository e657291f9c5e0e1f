namespace Kosmo.Idp.Operations.Startup;

/// <summary>
/// A setting the service cannot run with (no certificate in production, a connection string Npgsql
/// cannot read, a certificate other than the key ring's), explained entirely by its message: the
/// start fails with one Fatal line and no stack trace. Any other exception at start is a fault
/// and keeps its trace.
/// </summary>
public sealed class SettingRefusedException(string message, Exception? cause = null) : InvalidOperationException(message, cause);
