using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Journey.Account;

public sealed class AccountOptions
{
    public const string Section = "Account";

    /// <summary>
    /// How long after signing in (or confirming again) the member may change how they sign in
    /// without typing the password and a code once more.
    /// </summary>
    [Range(1, 720)]
    public int RecentSignInMinutes { get; set; } = 15;
}
