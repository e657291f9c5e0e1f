using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Members;

/// <summary>Argon2id cost. Defaults are OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.</summary>
public sealed class PasswordHashingOptions
{
    public const string Section = "PasswordHashing";

    [Range(1, 10)]
    public int Iterations { get; set; } = 2;

    [Range(8 * 1024 * 1024, 1024 * 1024 * 1024)]
    public int MemoryBytes { get; set; } = 19 * 1024 * 1024;
}
