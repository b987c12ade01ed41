namespace Glm.Training.Data;

/// <summary>
/// A piece of a corpus document: a whole document, or one of the ~<see cref="HeldOutSplit.SegmentChars"/>-character
/// pieces a longer document is cut into at line boundaries. Concatenating a document's segments gives its text.
/// </summary>
/// <param name="Text">The text; lines inside are separated by '\n'.</param>
/// <param name="EndsDocument">True on a document's last segment (the stream appends end-of-text after it).</param>
public sealed record CorpusSegment(string Text, bool EndsDocument);
