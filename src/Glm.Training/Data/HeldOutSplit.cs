namespace Glm.Training.Data;

/// <summary>
/// The fixed train / held-out split: corpus segments (documents, long ones cut into ~SegmentChars pieces) are
/// numbered in reading order and segment i is held out iff <c>i % 20 == 19</c>, so 5% of the segments never reach
/// training, even when the corpus is one big file.
/// </summary>
public static class HeldOutSplit
{
    /// <summary>
    /// Segment size in characters. Small enough that a ~1 MB single-file corpus (tiny-shakespeare, 1.1 M chars) is
    /// cut into ~68 segments and so gets 3 held-out ones; 64 KiB segments would give it only 18, none held out.
    /// </summary>
    public const int SegmentChars = 16 * 1024;

    /// <summary>One segment in this many is held out.</summary>
    public const int Period = 20;

    public static bool IsHeldOut(long segmentIndex) => segmentIndex % Period == Period - 1;

    /// <summary>The segments training may see, lazily, in order.</summary>
    public static IEnumerable<CorpusSegment> Training(IEnumerable<CorpusSegment> segments) =>
        segments.Where((_, i) => !IsHeldOut(i));

    /// <summary>The held-out segments, lazily, in order.</summary>
    public static IEnumerable<CorpusSegment> HeldOut(IEnumerable<CorpusSegment> segments) =>
        segments.Where((_, i) => IsHeldOut(i));
}
