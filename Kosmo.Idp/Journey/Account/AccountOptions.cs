using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Journey.Account;

public sealed class AccountOptions
{
    public const string Section = "Account";

    /// <summary>
    /// How long after signing in (or confirming again) the member may change how they sign in
    /// without typing the password and a code once more.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "12:00:00")]
    public TimeSpan RecentSignIn { get; set; } = TimeSpan.FromMinutes(15);
}
