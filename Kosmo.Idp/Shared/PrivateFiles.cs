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

    /// <summary>A new file readable and writable by its owner only; an existing file is never replaced (IOException).</summary>
    public static FileStream CreateNew(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }

    /// <summary>Writes a new owner-only file in UTF-8 without a byte-order mark, as File.WriteAllTextAsync does.</summary>
    public static async Task WriteTextAsync(string path, string text, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(CreateNew(path), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        await writer.WriteAsync(text.AsMemory(), cancellationToken);
    }
}
