using Kosmo.Idp;
using Kosmo.Idp.Operations.Cli;

if (KosmoCommandLine.IsCommand(args))
{
    return await KosmoCommandLine.RunAsync(args);
}

try
{
    await KosmoHost.Build(args).RunAsync();
}
catch (Exception e) when (e is not (OperationCanceledException or HostAbortedException))
{
    Kosmo.Idp.Operations.Logging.StartupFailure.Log(e);
    throw;
}

return 0;

public partial class Program;
