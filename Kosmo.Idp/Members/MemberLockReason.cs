namespace Kosmo.Idp.Members;

/// <summary>Why an account is locked until an operator unlocks it; the member is told what to do for each.</summary>
public enum MemberLockReason
{
    BirthDateAttempts = 1,
    Operator = 2,
}
