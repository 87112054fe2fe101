namespace IsmsServerless.Cli;

/// <summary>Expands file and directory arguments: a directory means every *.json below it, in ordinal order.</summary>
internal static class InputFiles
{
    public static (IReadOnlyList<string> Files, IReadOnlyList<string> Unreadable) Expand(IEnumerable<string> paths)
    {
        var files = new List<string>();
        var unreadable = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                try
                {
                    files.AddRange(Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    unreadable.Add($"{path}: {ex.Message}");
                }
            }
            else
            {
                unreadable.Add($"{path}: no such file or directory");
            }
        }
        return (files, unreadable);
    }
}
