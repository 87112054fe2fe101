using System.Diagnostics;
using System.Globalization;

namespace IsmsServerless.Benchmarks;

/// <summary>
/// What the identity normalizer's ICU4N dependency costs a fresh process: the first <c>IdentityNormalizer.Normalize</c>
/// (loads ICU4N.dll and its 7 MB resources assembly, builds the NFKC and NFKC_Casefold tables) against the warm cost of a
/// call. Run it as the first thing in a new process (<c>... icu-cold</c>); <c>--repeat N</c> starts N child processes.
/// </summary>
public static class IcuColdMode
{
    public static int Run(string[] args)
    {
        if (args is ["--repeat", var n])
        {
            var self = Environment.ProcessPath!;
            var dll = typeof(IcuColdMode).Assembly.Location;
            var firsts = new List<double>();
            for (var i = 0; i < int.Parse(n, CultureInfo.InvariantCulture); i++)
            {
                using var child = Process.Start(new ProcessStartInfo(self, [dll, "icu-cold"]) { RedirectStandardOutput = true })!;
                var line = child.StandardOutput.ReadToEnd();
                child.WaitForExit();
                firsts.Add(double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture));
            }
            firsts.Sort();
            Console.WriteLine(FormattableString.Invariant($"first Normalize over {firsts.Count} fresh processes: median {firsts[firsts.Count / 2]:F1} ms, min {firsts[0]:F1}, max {firsts[^1]:F1}"));
            return 0;
        }
        var clock = Stopwatch.StartNew();
        var first = Identity.IdentityNormalizer.Normalize("Ａlice\u200B@Example.com");
        var firstMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        for (var i = 0; i < 1000; i++) _ = Identity.IdentityNormalizer.Normalize("alice@example.com");
        var warmUs = clock.Elapsed.TotalMicroseconds / 1000;
        Console.WriteLine(FormattableString.Invariant($"first {firstMs:F1} ms; warm {warmUs:F2} µs per call ('{first}')"));
        return 0;
    }
}
