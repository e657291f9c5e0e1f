namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>The source tree the tests run from, for the tests that read docs/, deploy/ or their own files.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string TestProject => Path.Combine(Root, "Kosmo.Idp.Tests");

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Kosmo.Idp.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Kosmo.Idp.sln not found above the test directory.");
    }
}
