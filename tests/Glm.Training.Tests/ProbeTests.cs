namespace Glm.Training.Tests;
public class ProbeTests { [Fact] public void Torch_loads() => Assert.Equal(3f, Glm.Training.Probe.Sum()); }
