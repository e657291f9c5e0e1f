using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Startup;

/// <summary>
/// Refuses a settings section in which an entry of a list could not be read. The configuration
/// binder skips such an entry without a word (a value outside a list stops the start instead), so
/// one typo in a relying app's settings (Kind=Publik, an unreadable URL) would otherwise leave the
/// app out, and the start-up sync would then remove it with every token its members hold.
/// </summary>
public sealed class EveryListEntryBound<TOptions>(IConfiguration section) : IValidateOptions<TOptions> where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options) =>
        FirstUnread(options, section) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;

    private static string? FirstUnread(object bound, IConfiguration source)
    {
        foreach (var property in bound.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetValue(bound) is not IList list || !property.PropertyType.IsGenericType)
            {
                continue;
            }

            var listSection = source.GetSection(property.Name);
            var entries = listSection.GetChildren().ToList();
            if (entries.Count == 0 && !string.IsNullOrEmpty(listSection.Value))
            {
                // RedirectUris=https://… instead of RedirectUris:0=https://…: the binder reads no list at all.
                return $"{listSection.Path} is a list: give its entries as {listSection.Path}:0, {listSection.Path}:1, … (environment: {listSection.Path.Replace(":", "__", StringComparison.Ordinal)}__0, …).";
            }

            if (entries.Count != list.Count)
            {
                var elementType = property.PropertyType.GetGenericArguments()[0];
                return entries.Select(entry => WhyUnreadable(entry, elementType)).FirstOrDefault(why => why is not null)
                    ?? $"{listSection.Path}: {entries.Count} entries configured, {list.Count} could be read.";
            }

            // The binder keeps the entries' order, so each bound entry stands beside its own settings.
            foreach (var (entry, item) in entries.Zip(list.Cast<object?>()))
            {
                // An empty value becomes a null entry (an empty URI), which the checks after this one would trip on.
                if (item is null)
                {
                    return $"{entry.Path}: the entry is empty or could not be read.";
                }

                if (!IsScalar(item.GetType()) && FirstUnread(item, entry) is { } nested)
                {
                    return nested;
                }
            }
        }

        return null;
    }

    // Bound on its own, outside the list, the entry's conversion error is thrown rather than skipped.
    private static string? WhyUnreadable(IConfigurationSection entry, Type elementType)
    {
        try
        {
            return (IsScalar(elementType) ? entry.Get(elementType) is null && entry.Value is not null : entry.Get(elementType) is null)
                ? $"{entry.Path}: the entry could not be read."
                : null;
        }
        catch (InvalidOperationException unreadable)
        {
            // "Failed to convert configuration value 'Publik' at 'RelyingApps:Apps:0:Kind' to type …", then why.
            var reason = unreadable.GetBaseException();
            return reason == unreadable ? unreadable.Message : $"{unreadable.Message} {reason.Message}";
        }
    }

    private static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(Uri);
}

public static class EveryListEntryBoundRegistration
{
    /// <summary>Refuses the section at start when an entry of one of its lists could not be read (<see cref="EveryListEntryBound{TOptions}"/>).</summary>
    /// <param name="section">Where the options are bound from; null for a class whose list is a top-level section itself (Apis).</param>
    public static OptionsBuilder<TOptions> ValidateEveryListEntry<TOptions>(this OptionsBuilder<TOptions> builder, string? section) where TOptions : class
    {
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(services =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            return new EveryListEntryBound<TOptions>(section is null ? configuration : configuration.GetSection(section));
        });
        return builder;
    }
}
