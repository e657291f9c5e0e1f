using Kosmo.Idp;
using Kosmo.Idp.Operations.Cli;

if (KosmoCommandLine.IsCommand(args))
{
    return await KosmoCommandLine.RunAsync(args);
}

if (KosmoCommandLine.MisplacedCommand(args) is { } command)
{
    Console.Error.WriteLine($"'{command}' is a command: put it first, before any option (Kosmo.Idp {command} …). Nothing was started.");
    return 2;
}

if (KosmoCommandLine.StrayOption(args) is { } option)
{
    Console.Error.WriteLine($"'{option}' is neither a setting of the service nor a command: an option of a command goes after it (Kosmo.Idp members import … --dry-run); --help lists the commands. Nothing was started.");
    return 2;
}

try
{
    await KosmoHost.Build(args).RunAsync();
}
catch (Exception e) when (e is not (OperationCanceledException or HostAbortedException))
{
    Kosmo.Idp.Operations.Logging.StartupFailure.Log(e);
    // The Fatal line says why; as the process's own entry point, stop with exit code 1 rather
    // than the runtime's abort and a second, raw copy of the failure. A test host that runs this
    // Main to build its server gets the exception itself.
    if (System.Reflection.Assembly.GetEntryAssembly() != typeof(Program).Assembly)
    {
        throw;
    }

    return 1;
}

// A replica that stopped itself over a refused setting after the start (StartupPreparation) set 1.
return Environment.ExitCode;

public partial class Program;
