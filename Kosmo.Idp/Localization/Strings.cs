namespace Kosmo.Idp.Localization;

/// <summary>
/// Marker for the page and mail strings: Strings.resx is Japanese (the neutral language),
/// Strings.en.resx English.
/// </summary>
public sealed class Strings;
