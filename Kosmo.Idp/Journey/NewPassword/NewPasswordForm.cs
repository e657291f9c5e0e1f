using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.NewPassword;

/// <summary>A new password and its confirmation as typed on a form (the first-login step and the account page).</summary>
public static class NewPasswordForm
{
    /// <summary>Puts every reason for refusal by its field; returns the reasons' keys, none when the password is accepted.</summary>
    public static IReadOnlyList<string> Check(
        PasswordPolicy policy, Member member, string password, string? confirmation,
        ModelStateDictionary modelState, string passwordField, string confirmationField, IStringLocalizer<Strings> text,
        bool compareWithCurrent = true)
    {
        var problems = policy.Problems(member, password, compareWithCurrent);
        foreach (var problem in problems)
        {
            modelState.AddModelError(passwordField, text[problem, policy.Rules.MinimumLength, policy.Rules.MaximumLength]);
        }

        if (problems.Count > 0)
        {
            return problems;
        }

        if (password != confirmation)
        {
            modelState.AddModelError(confirmationField, text["NewPassword.Mismatch"]);
            return ["NewPassword.Mismatch"];
        }

        return [];
    }
}
