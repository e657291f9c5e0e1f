namespace Kosmo.Idp.Protocol.Apis;

/// <summary>
/// The APIs that accept our access tokens (the list "Apis": <c>Apis:0:Name</c>, <c>Apis:0:Scopes:0</c>,
/// …): each is an audience, and the scopes it lists are what apps ask for to call it. An access
/// token carries in <c>aud</c> the APIs of the scopes it was granted, so one API refuses a token
/// meant for another. Checked by <see cref="ApiOptionsValidation"/> at start.
/// </summary>
public sealed class ApiOptions
{
    public const string Section = "Apis";

    public List<Api> Apis { get; set; } = [];
}

public sealed class Api
{
    /// <summary>The audience: the value the API checks in <c>aud</c> (say <c>medical-expense-api</c>).</summary>
    public string Name { get; set; } = "";

    public string DisplayName { get; set; } = "";

    /// <summary>The scopes an app asks for to call this API (say <c>medical-expense.read</c>).</summary>
    public List<string> Scopes { get; set; } = [];
}
