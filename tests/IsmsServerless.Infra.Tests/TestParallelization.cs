// The jsii kernel (one Node process per test host) is not safe for concurrent calls: two test classes synthesizing or
// querying templates at once corrupt each other's responses ("Unexpected character encountered while parsing value").
// Test classes therefore run one after another; each still synthesizes its template once.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
