using Glm.Core;
using Spectre.Console;

namespace Glm.Cli.Commands;

/// <summary>
/// Runs a command body and turns failures the user can act on into one line on stderr and exit code 1, never a stack
/// trace. Unexpected exceptions still print their type and message on one line (exit code 2).
/// </summary>
internal static class CliRunner
{
    public static async Task<int> Run(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (GlmException e)
        {
            return Fail(e.Message, 1);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return Fail(e.Message, 1);
        }
        catch (OperationCanceledException)
        {
            return Fail("cancelled", 130);
        }
        catch (Exception e)
        {
            return Fail($"internal error ({e.GetType().Name}): {e.Message}", 2);
        }
    }

    public static Task<int> Run(Func<int> body) => Run(() => Task.FromResult(body()));

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }

    /// <summary>Progress bars go to stderr so that --json output on stdout stays machine-readable.</summary>
    public static IAnsiConsole Status { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
    });
}
