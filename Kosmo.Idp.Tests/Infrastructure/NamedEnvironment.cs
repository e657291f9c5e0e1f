using Microsoft.Extensions.Hosting;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>A host environment that is only its name: for rules that depend on Production or Development alone.</summary>
public sealed class NamedEnvironment(string name) : IHostEnvironment
{
    public string EnvironmentName { get; set; } = name;

    public string ApplicationName { get; set; } = "Kosmo.Idp";

    public string ContentRootPath { get; set; } = "/";

    public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
}
