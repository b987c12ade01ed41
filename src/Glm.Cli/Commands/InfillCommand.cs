using System.CommandLine;
using Glm.Core;
using Glm.Training.Evaluation;
using Glm.Training.Training;

namespace Glm.Cli.Commands;

/// <summary><c>glm infill</c>: fill every [MASK], [sMASK] and [gMASK] of a text with a blank-infilling model.</summary>
internal static class InfillCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder trained with blank infilling", Required = true };
        var text = new Option<string>("--text") { Description = "Text with blanks, e.g. \"To be, or not to [MASK]: that is the question\"", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens generated per blank", DefaultValueFactory = _ => 48 };
        var temperature = new Option<double>("--temperature") { Description = "0 for greedy, above 0 to sample", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed for sampling", DefaultValueFactory = _ => 0 };

        var command = new Command("infill", "Fill the blanks of a text, each generated from <sop> until <eop>") { model, text, maxTokens, temperature, seed };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            using var trained = TrainedModel.Load(parse.GetValue(model)!.FullName);
            if (trained.Objective != TrainingObjective.Infill)
                throw new GlmException("this model was trained left to right (--objective lm) and cannot fill blanks");
            var tokenizer = trained.Tokenizer;
            int[] partA = tokenizer.EncodeWithSpecialTokens(parse.GetValue(text)!);
            if (partA.Length >= trained.MaxSequenceLength)
                throw new GlmException($"the text is {partA.Length} tokens; this model takes at most {trained.MaxSequenceLength - 1}");
            var filler = new BlankFiller(trained.Model, tokenizer.Special, trained.MaxSequenceLength);
            var (prompt, fills) = filler.FillAll(partA, parse.GetValue(maxTokens), parse.GetValue(temperature), new Random(parse.GetValue(seed)));
            Console.WriteLine(tokenizer.Decode(prompt.Fill(fills)));
            return 0;
        }));
        return command;
    }
}
