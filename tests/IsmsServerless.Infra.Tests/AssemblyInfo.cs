// jsii loads the CDK's JavaScript assemblies lazily into one Node process per test process; two test classes
// synthesizing in parallel race on that extraction (TAR_BAD_ARCHIVE, "file in use"). Synthesis is serial anyway.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
