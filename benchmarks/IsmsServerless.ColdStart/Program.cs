using IsmsServerless.ColdStart;

// Modes (see ColdStartDriver and HandlerHost):
//   <handler> <event-file>      one cold invocation, run under the function's deps.json/runtimeconfig.json
//   <handler> <event-file> --split   the same, timing its phases (runtime start, settings+engine, SDK client, DynamoDB calls)
//   --hello                     the bare hello-world baseline: start the runtime, answer one line
//   drive [options]             start both N times in fresh processes, interleaved, and report medians
if (args is ["--hello"]) return HandlerHost.Hello();
if (args is ["drive", .. var options]) return await ColdStartDriver.RunAsync(options).ConfigureAwait(false);
if (args is [var handler, var eventFile]) return await HandlerHost.InvokeOnceAsync(handler, eventFile).ConfigureAwait(false);
if (args is [var splitHandler, var splitEventFile, "--split"]) return await HandlerHost.InvokeOnceAsync(splitHandler, splitEventFile, split: true).ConfigureAwait(false);
await Console.Error.WriteLineAsync("""
    usage: IsmsServerless.ColdStart <Assembly::Namespace.Type::Method> <event-file>
           IsmsServerless.ColdStart --hello
           IsmsServerless.ColdStart drive --package <dir> --template <file.template.json> --event <file> [--runs N] [--function <logical-id-prefix>]
    """).ConfigureAwait(false);
return 2;
