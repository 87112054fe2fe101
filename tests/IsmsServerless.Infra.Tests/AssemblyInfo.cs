// jsii's .NET runtime drives one Node process per test process and is not safe to initialise (or call) from two
// threads at once: two test classes synthesizing in parallel fail with "zlib: unexpected end of file" or garbled
// JSON. Template tests are few and quick once synthesized, so they run one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
