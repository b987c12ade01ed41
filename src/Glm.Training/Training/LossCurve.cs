using System.Globalization;
using System.Text;

namespace Glm.Training.Training;

/// <summary>One named line of a loss picture.</summary>
public sealed record LossSeries(string Name, string Color, IReadOnlyList<(double Step, double Loss)> Points, bool Dashed = false);

/// <summary>
/// Draws loss curves as a self-contained SVG (any browser or image viewer shows it). Written by hand: a line chart
/// with axes and a legend is a few dozen lines, and a plotting library would bring a native graphics stack.
/// </summary>
public static class LossCurve
{
    private const int Width = 800, Height = 480, Left = 70, Right = 20, Top = 40, Bottom = 50;

    public static string ToSvg(string title, IReadOnlyList<LossSeries> series)
    {
        var all = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Loss)).ToList();
        double xMax = all.Count == 0 ? 1 : Math.Max(1, all.Max(p => p.Step));
        double yMin = all.Count == 0 ? 0 : Math.Floor(all.Min(p => p.Loss));
        double yMax = all.Count == 0 ? 1 : Math.Ceiling(Percentile(all.Select(p => p.Loss), 0.98) + 0.25);
        if (yMax <= yMin) yMax = yMin + 1;
        double X(double step) => Left + step / xMax * (Width - Left - Right);
        double Y(double loss) => Top + (yMax - Math.Clamp(loss, yMin, yMax)) / (yMax - yMin) * (Height - Top - Bottom);

        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append($"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");
        for (int i = 0; i <= 5; i++)
        {
            double loss = yMin + (yMax - yMin) * i / 5, y = Y(loss);
            svg.Append($"<line x1=\"{Left}\" y1=\"{F(y)}\" x2=\"{Width - Right}\" y2=\"{F(y)}\" stroke=\"#e4e4e4\"/>");
            svg.Append($"<text x=\"{Left - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{F(loss)}</text>\n");
            double step = xMax * i / 5, x = X(step);
            svg.Append($"<text x=\"{F(x)}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{step:0}</text>\n");
        }
        svg.Append($"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>");
        svg.Append($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>\n");
        svg.Append($"<text x=\"{(Width + Left) / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">step</text>\n");
        svg.Append($"<text x=\"16\" y=\"{Height / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {Height / 2})\">loss (nats/token)</text>\n");
        for (int s = 0; s < series.Count; s++)
        {
            var points = series[s].Points.Where(p => double.IsFinite(p.Loss)).ToList();
            if (points.Count == 0) continue;
            string dash = series[s].Dashed ? " stroke-dasharray=\"6 4\"" : "";
            string path = string.Join(" ", points.Select(p => $"{F(X(p.Step))},{F(Y(p.Loss))}"));
            svg.Append($"<polyline fill=\"none\" stroke=\"{series[s].Color}\" stroke-width=\"1.6\"{dash} points=\"{path}\"/>\n");
            double ly = Top + 8 + 18 * s;
            svg.Append($"<line x1=\"{Width - Right - 190}\" y1=\"{F(ly)}\" x2=\"{Width - Right - 165}\" y2=\"{F(ly)}\" stroke=\"{series[s].Color}\" stroke-width=\"2\"{dash}/>");
            svg.Append($"<text x=\"{Width - Right - 158}\" y=\"{F(ly + 4)}\">{Escape(series[s].Name)}</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static double Percentile(IEnumerable<double> values, double q)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Round(q * (sorted.Length - 1)))];
    }

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
