namespace Glm.Core.Chat;

/// <summary>Roles of the GLM chat format; each has its own special token (&lt;|system|&gt;, ...).</summary>
public enum ChatRole
{
    System,
    User,
    Assistant,
    Observation,
}

/// <summary>
/// One message of a GLM conversation. <paramref name="Metadata"/> is the text GLM puts on the role line, such as the
/// tool name of an assistant function call; it is empty for plain turns.
/// </summary>
public sealed record ChatTurn(ChatRole Role, string Content, string Metadata = "");
