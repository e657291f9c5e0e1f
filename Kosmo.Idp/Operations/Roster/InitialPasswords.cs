using Kosmo.Idp.Members;
using System.Security.Cryptography;

namespace Kosmo.Idp.Operations.Roster;

/// <summary>
/// Random initial passwords for members who joined on or after the cut-off date. They are printed
/// on paper and typed by hand, so the alphabet leaves out characters that look alike (0/O/o, 1/l/I).
/// </summary>
public sealed class InitialPasswords(PasswordHashing hashing)
{
    public const int Length = 12;
    private const int MostParallelHashes = 4;
    public const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

    /// <summary>Always with a letter and a digit, so it looks like the passwords members are asked to choose.</summary>
    public static string Generate()
    {
        while (true)
        {
            var candidate = RandomNumberGenerator.GetString(Alphabet, Length);
            if (candidate.Any(char.IsAsciiLetter) && candidate.Any(char.IsAsciiDigit))
            {
                return candidate;
            }
        }
    }

    /// <summary>
    /// Argon2id is deliberately slow (tens of milliseconds each) and single-threaded, so a batch of
    /// new members is hashed on several cores; not on every core, since each hash holds 19 MiB: in a
    /// pod without a CPU limit the runtime sees every core of the node, and the import shares the
    /// pod's memory limit with the service.
    /// </summary>
    /// <remarks>
    /// Stops at the next password once cancelled (Ctrl+C, a pod's SIGTERM): the import must get to
    /// delete its credentials notice within the few seconds the command line waits before it exits.
    /// </remarks>
    public string[] HashAll(IReadOnlyList<string> passwords, CancellationToken cancellationToken)
    {
        var hashes = new string[passwords.Count];
        Parallel.For(0, passwords.Count, new ParallelOptions
        {
            MaxDegreeOfParallelism = Math.Min(Environment.ProcessorCount, MostParallelHashes),
            CancellationToken = cancellationToken,
        }, i => hashes[i] = hashing.Hash(passwords[i]));
        return hashes;
    }
}
