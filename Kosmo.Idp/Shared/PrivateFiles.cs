namespace Kosmo.Idp.Shared;

/// <summary>
/// Folders and files the service creates for itself on a developer machine (the SQLite database,
/// whose Data Protection ring is unencrypted there; mails holding codes and links): readable by
/// the user running it only, not by every account on a shared machine.
/// </summary>
public static class PrivateFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the folder for the owner only; an existing folder keeps its mode (it may be one the operator chose, /tmp say).</summary>
    public static void CreateFolder(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnly);
        }
    }

    public static Task WriteTextAsync(string path, string text, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return WriteAsync(path, text, options, cancellationToken);
    }

    private static async Task WriteAsync(string path, string text, FileStreamOptions options, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(path, System.Text.Encoding.UTF8, options);
        await writer.WriteAsync(text.AsMemory(), cancellationToken);
    }
}
