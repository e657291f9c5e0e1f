namespace Kosmo.Idp.Members;

/// <summary>How the member receives one-time passwords (manual p.4).</summary>
public enum OtpMethod
{
    Email = 1,
    App = 2,
}
