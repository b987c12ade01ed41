using Glm.Training.Data;

namespace Glm.Training.Training;

/// <summary>
/// Which text a run trains on and which it holds out: with an eval file, all of the data trains and the eval file is
/// held out; without one, every 20th segment of the data is held out (<see cref="HeldOutSplit"/>) and never trained on.
/// </summary>
internal sealed record TrainingCorpus(IReadOnlyList<string> DataFiles, string? EvalFile)
{
    public IEnumerable<CorpusSegment> TrainingSegments() => EvalFile is null
        ? HeldOutSplit.Training(CorpusReader.ReadSegments(DataFiles))
        : CorpusReader.ReadSegments(DataFiles);

    public IEnumerable<CorpusSegment> HeldOutSegments() => EvalFile is null
        ? HeldOutSplit.HeldOut(CorpusReader.ReadSegments(DataFiles))
        : CorpusReader.ReadSegments([EvalFile]);
}
