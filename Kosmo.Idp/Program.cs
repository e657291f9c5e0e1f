using Kosmo.Idp;
using Kosmo.Idp.Operations.Cli;

if (KosmoCommandLine.IsCommand(args))
{
    return await KosmoCommandLine.RunAsync(args);
}

await KosmoHost.Build(args).RunAsync();
return 0;

public partial class Program;
