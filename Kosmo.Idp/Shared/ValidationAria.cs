using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.AspNetCore.Razor.TagHelpers;

namespace Kosmo.Idp.Shared;

/// <summary>
/// Ties every form field to its validation message for screen readers, on every page at once: the
/// message of field <c>CurrentPassword</c> has the id <c>current-password-error</c>, and while the
/// field has an error it is marked <c>aria-invalid</c> and described by that message.
/// </summary>
public static partial class ValidationAria
{
    public static string MessageId(string fieldName) => Kebab().Replace(fieldName.Replace('.', '-'), "$1-$2").ToLowerInvariant() + "-error";

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex Kebab();
}

/// <summary>A field with an error is marked invalid and described by its message (see <see cref="ValidationAria"/>).</summary>
[HtmlTargetElement("input", Attributes = "asp-for")]
[HtmlTargetElement("select", Attributes = "asp-for")]
[HtmlTargetElement("textarea", Attributes = "asp-for")]
public sealed class InvalidFieldTagHelper : TagHelper
{
    // After the framework's own input, select and textarea helpers have written the element.
    public override int Order => 100;

    [HtmlAttributeName("asp-for")]
    public ModelExpression For { get; set; } = null!;

    [ViewContext, HtmlAttributeNotBound]
    public ViewContext ViewContext { get; set; } = null!;

    public override void Process(TagHelperContext context, TagHelperOutput output)
    {
        if (ViewContext.ViewData.ModelState.TryGetValue(For.Name, out var entry) && entry.Errors.Count > 0)
        {
            output.Attributes.SetAttribute("aria-invalid", "true");
            var messageId = ValidationAria.MessageId(For.Name);
            var described = output.Attributes.TryGetAttribute("aria-describedby", out var existing) ? existing.Value?.ToString() ?? "" : "";
            var ids = described.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (!ids.Contains(messageId))
            {
                ids.Insert(0, messageId);
            }

            output.Attributes.SetAttribute("aria-describedby", string.Join(' ', ids));
        }
    }
}

/// <summary>A validation message gets the id its field points at (see <see cref="ValidationAria"/>), unless the page names it.</summary>
[HtmlTargetElement("span", Attributes = "asp-validation-for")]
public sealed class FieldMessageIdTagHelper : TagHelper
{
    [HtmlAttributeName("asp-validation-for")]
    public ModelExpression For { get; set; } = null!;

    public override void Process(TagHelperContext context, TagHelperOutput output)
    {
        if (!output.Attributes.ContainsName("id"))
        {
            output.Attributes.SetAttribute("id", ValidationAria.MessageId(For.Name));
        }
    }
}
