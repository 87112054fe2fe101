using IsmsServerless.Ledger;

namespace IsmsServerless.StatusPage;

/// <summary>Wires the status page's services over one ledger: the Lambda host and <c>./isms serve</c> both call this.</summary>
public static class StatusPageComposition
{
    public static StatusPageServices Services(IFindingLedger ledger) => new()
    {
        Ledger = ledger,
        Overview = new LedgerPagingOverview(ledger),
        Changes = new LedgerChangeReviewQueue(ledger),
        Baselines = null,
    };
}
