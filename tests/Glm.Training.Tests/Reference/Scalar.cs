namespace Glm.Training.Tests.Reference;

/// <summary>The few vector operations the scalar references share, in double.</summary>
internal static class Scalar
{
    /// <summary>y = W·x for a row-major [rows, cols] matrix (a PyTorch Linear weight).</summary>
    public static double[] MatVec(float[] weight, int rows, int cols, double[] x)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int i = 0; i < cols; i++) sum += weight[r * cols + i] * x[i];
            y[r] = sum;
        }
        return y;
    }

    public static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    public static double[] Softmax(double[] scores)
    {
        double max = scores.Max();
        var e = scores.Select(s => Math.Exp(s - max)).ToArray();
        double total = e.Sum();
        return [.. e.Select(x => x / total)];
    }
}
