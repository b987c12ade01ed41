using System.Runtime.InteropServices;
using Glm.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Glm.Training.Training;

/// <summary>
/// Where a run's tensors live: <c>cpu</c> (the default; libtorch CPU from the package), or <c>cuda</c> /
/// <c>cuda:N</c>. For CUDA, libtorch's CUDA libraries must be loadable: those of a libtorch-cuda package, or of a
/// PyTorch install found through LD_LIBRARY_PATH (its <c>torch/lib</c> folder; PyTorch 2.11 with CUDA 13 worked with
/// TorchSharp's 2.10 bindings). Float32 matrix products use TF32 tensor cores unless the environment sets GLM_TF32=0.
/// </summary>
public static class TrainingDevice
{
    /// <summary>Parses <paramref name="name"/> and makes libtorch ready for it; call before any other TorchSharp use.</summary>
    public static Device Prepare(string name)
    {
        if (name == "cpu") return CPU;
        if (name != "cuda" && !name.StartsWith("cuda:", StringComparison.Ordinal))
            throw new GlmException($"--device must be cpu, cuda or cuda:N, got \"{name}\"");
        NativeLibrary.TryLoad("libtorch_cuda.so", out _); // a PyTorch install's copy, through LD_LIBRARY_PATH
        try
        {
            InitializeDeviceType(DeviceType.CUDA);
        }
        catch (Exception e) when (e is not GlmException)
        {
            throw new GlmException($"--device {name}: CUDA could not be initialised ({e.Message}); put libtorch's CUDA libraries on LD_LIBRARY_PATH", e);
        }
        if (!cuda.is_available()) throw new GlmException($"--device {name}: no CUDA device is available");
        if (Environment.GetEnvironmentVariable("GLM_TF32") != "0")
            backends.cuda.matmul.allow_tf32 = true; // TF32 tensor cores for float32 matrix products (GLM_TF32=0: off)
        return new Device(name);
    }
}
