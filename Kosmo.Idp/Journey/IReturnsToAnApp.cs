namespace Kosmo.Idp.Journey;

/// <summary>
/// A page that carries where the member goes once the journey is done (usually a relying app's
/// authorization request). The language switch reads it: a page redrawn after a form (an error
/// by a field) has an address without the form's values, and the switch must not lose the way back.
/// </summary>
public interface IReturnsToAnApp
{
    string? ReturnUrl { get; }
}
