using Kosmo.Idp.Localization;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey.Terms;

/// <summary>Reads the configured terms text in the member's language, split into paragraphs at blank lines.</summary>
public sealed class TermsOfUse(IOptionsMonitor<TermsOptions> options, IHostEnvironment environment)
{
    public string Version => options.CurrentValue.Version;

    public IReadOnlyList<string> Paragraphs()
    {
        var terms = options.CurrentValue;
        var file = LocalizationRegistration.IsEnglish && !string.IsNullOrWhiteSpace(terms.EnglishFile)
            ? terms.EnglishFile
            : terms.JapaneseFile;
        var text = File.ReadAllText(Path.Combine(environment.ContentRootPath, file));
        return text.ReplaceLineEndings("\n")
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}

internal sealed class TermsFilesExist(IHostEnvironment environment) : IValidateOptions<TermsOptions>
{
    public ValidateOptionsResult Validate(string? name, TermsOptions options)
    {
        foreach (var file in new[] { options.JapaneseFile, options.EnglishFile })
        {
            if (!string.IsNullOrWhiteSpace(file) && !File.Exists(Path.Combine(environment.ContentRootPath, file)))
            {
                return ValidateOptionsResult.Fail($"Terms file '{file}' does not exist (relative to {environment.ContentRootPath}).");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
