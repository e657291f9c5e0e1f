namespace Kosmo.Idp.Operations.Startup;

/// <summary>Whether <see cref="StartupPreparation"/> has finished: schema current, keys loaded, relying apps and API scopes synced.</summary>
public sealed class PreparationState
{
    private volatile bool _done;

    public bool IsDone => _done;

    internal void MarkDone() => _done = true;
}
