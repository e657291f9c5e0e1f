using System.Diagnostics;
using System.Globalization;

namespace Kosmo.Idp.Operations.Roster;

/// <summary>
/// A one-line progress bar redrawn in place with a carriage return. Only for a person watching a
/// terminal: in a redirected output (a log file, a job runner) the redraws would be noise.
/// </summary>
internal sealed class RosterProgress(TextWriter output, bool enabled, string label, int total)
{
    private const int Width = 20;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private static readonly NumberFormatInfo Grouping = new() { NumberGroupSeparator = " ", NumberGroupSizes = [3] };

    private readonly Lock _gate = new();
    private readonly Stopwatch _sinceDrawn = Stopwatch.StartNew();
    private bool _drawn;

    public void Report(int done)
    {
        if (!enabled || total == 0)
        {
            return;
        }

        lock (_gate)
        {
            // Redrawing on every row would cost more than the work it reports.
            if (_drawn && done < total && _sinceDrawn.Elapsed < Interval)
            {
                return;
            }

            var filled = (int)((long)done * Width / total);
            var percent = (int)((long)done * 100 / total);
            output.Write($"\r{label} [{new string('#', filled)}{new string('-', Width - filled)}] {percent,3}% {done.ToString("N0", Grouping)}/{total.ToString("N0", Grouping)}");
            output.Flush();
            _drawn = true;
            _sinceDrawn.Restart();
        }
    }

    /// <summary>Ends the bar's line, so what is said next (the summary, or why the work stopped) starts on its own.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (enabled && _drawn)
            {
                output.WriteLine();
                _drawn = false;
            }
        }
    }
}
