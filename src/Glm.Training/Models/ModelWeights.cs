using Glm.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Glm.Training.Models;

/// <summary>Initialisation and loading shared by the model files.</summary>
internal static class ModelWeights
{
    /// <summary>Std of every matrix and embedding at initialisation (GLM, Megatron, nanoGPT).</summary>
    public const double InitStd = 0.02;

    /// <summary>Std of the projections that write into the residual stream: 0.02/√(2·L).</summary>
    public static double OutputStd(int numLayers) => InitStd / Math.Sqrt(2.0 * numLayers);

    /// <summary>A float32 parameter drawn from N(0, std²) with <paramref name="generator"/>.</summary>
    public static Parameter Normal(Generator generator, double std, params long[] shape)
    {
        // nn.init.normal_ ignores its generator argument in TorchSharp 0.107.0; randn honours it.
        var data = randn(shape, float32, generator: generator).mul_(std);
        return AsParameter(data);
    }

    /// <summary>A float32 parameter with every element equal to <paramref name="value"/>.</summary>
    public static Parameter Constant(double value, params long[] shape) => AsParameter(full(shape, value, float32));

    // Parameter takes over the handle of data; detaching lets it outlive a dispose scope the model is built in.
    private static Parameter AsParameter(Tensor data)
    {
        var parameter = new Parameter(data);
        parameter.DetachFromDisposeScope();
        return parameter;
    }

    /// <summary>Copies the values <paramref name="read"/> returns into each named weight, checking shapes first.</summary>
    public static void Load(IReadOnlyList<(string Name, Tensor Value)> weights, Func<string, (long[] Shape, float[] Data)> read)
    {
        foreach (var (name, weight) in weights) {
            var (shape, data) = read(name);
            if (!shape.SequenceEqual(weight.shape))
                throw new GlmException($"tensor {name} has shape {Format(shape)} in the checkpoint but {Format(weight.shape)} in the model");
            if (data.LongLength != weight.numel())
                throw new GlmException($"tensor {name} of shape {Format(shape)} came with {data.LongLength} values, not {weight.numel()}");
            using var noGrad = no_grad();
            using var source = tensor(data, shape, float32);
            weight.copy_(source);
        }
    }

    private static string Format(long[] shape) => $"[{string.Join(", ", shape)}]";
}
