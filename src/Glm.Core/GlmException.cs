namespace Glm.Core;

/// <summary>
/// A failure the user can act on: a missing or corrupt file, a config that does not fit, bad input.
/// The message is one line in the caller's terms (it names the file, tensor, key or option); front ends print it
/// without a stack trace.
/// </summary>
public class GlmException : Exception
{
    public GlmException(string message) : base(message) { }

    public GlmException(string message, Exception inner) : base(message, inner) { }
}
