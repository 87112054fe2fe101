// jsii unpacks its bundled assets into one temp folder per process; two test classes synthesizing at the same time
// race on those files (IOException: "being used by another process"). Synthesis runs one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
