using Glm.Core;
using Glm.Core.Chat;
using Glm.Tokenizers;
using Glm.Training.Data;

namespace Glm.Training.Tests.Data;

public sealed class ChatDataTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Chat_samples_carry_loss_exactly_on_assistant_targets()
    {
        // ids:       0  1  2   3   4  5   6
        // assistant: f  f  f   f   t  t   t   (reply text 4,5 and its end token 6)
        var chat = new RenderedChat([10, 11, 12, 13, 14, 15, 16], [false, false, false, false, true, true, true]);
        var sample = ChatSamples.Build(chat, seqLength: 8, pad: 99);

        Assert.Equal([10, 11, 12, 13, 14, 15, 99, 99], sample.InputIds);
        Assert.Equal([0, 0, 0, 14, 15, 16, 0, 0], sample.TargetIds);
        Assert.Equal([0f, 0, 0, 1, 1, 1, 0, 0], sample.LossMask);
        Assert.Equal([0, 1, 2, 3, 4, 5, 0, 0], sample.PositionIds);
        Assert.Equal(0, sample.PartALength); // causal
        Assert.Equal(6, sample.Length);
    }

    [Fact]
    public void A_long_conversation_is_cut_and_one_whose_reply_falls_outside_has_no_target()
    {
        var chat = new RenderedChat([1, 2, 3, 4, 5, 6], [false, false, false, false, true, true]);
        var cut = ChatSamples.Build(chat, seqLength: 3, pad: 0);
        Assert.Equal([1, 2, 3], cut.InputIds);
        Assert.All(cut.LossMask, m => Assert.Equal(0f, m));
        Assert.False(ChatSamples.HasTarget(chat, seqLength: 3));
        Assert.True(ChatSamples.HasTarget(chat, seqLength: 4));
    }

    [Fact]
    public void Chat_corpus_reads_messages_and_names_the_line_of_a_problem()
    {
        var good = _dir.Write("good.jsonl", """
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}, {"role": "tool", "content": "{}"}]}

            """);
        var turns = Assert.Single(ChatCorpus.Read([good]));
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Observation], turns.Select(t => t.Role));

        var noReply = _dir.Write("bad.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
        Assert.Contains("bad.jsonl line 1: the conversation has no assistant message", Assert.Throws<GlmException>(() => ChatCorpus.Read([noReply])).Message);
        var badRole = _dir.Write("role.jsonl", "\n{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}\n");
        Assert.Contains("role.jsonl line 2: unknown role \"bot\"", Assert.Throws<GlmException>(() => ChatCorpus.Read([badRole])).Message);
    }

    [Fact]
    public void Dataset_formats_convert_to_user_and_assistant_turns()
    {
        var share = _dir.Write("s.json", """[{"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}]""");
        Assert.Equal([new ChatTurn(ChatRole.System, "S"), new ChatTurn(ChatRole.User, "Q"), new ChatTurn(ChatRole.Assistant, "A")],
            Assert.Single(ChatFormats.Read("sharegpt", share)));

        var alpaca = _dir.Write("a.jsonl", """
            {"instruction": "Add", "input": "1 and 2", "output": "3"}
            {"instruction": "Greet", "instances": [{"input": "", "output": "Hi"}, {"input": "Bob", "output": "Hi Bob"}]}
            {"instruction": "Be a pirate", "input": "", "response": "Arr"}
            """);
        Assert.Equal(["Add\n1 and 2|3", "Greet|Hi", "Greet\nBob|Hi Bob", "Be a pirate|Arr"],
            ChatFormats.Read("alpaca", alpaca).Select(c => $"{c[0].Content}|{c[1].Content}"));
        var noOutput = _dir.Write("n.jsonl", """{"instruction": "Add", "input": "1 and 2"}""");
        Assert.Contains("n.jsonl line 1: no string \"output\" (or \"response\")",
            Assert.Throws<GlmException>(() => ChatFormats.Read("alpaca", noOutput).ToList()).Message);

        var sgd = _dir.Write("d.json", """[{"dialogue_id": "1", "turns": [{"speaker": "USER", "utterance": "Book it"}, {"speaker": "SYSTEM", "utterance": "Done"}]}]""");
        Assert.Equal([ChatRole.User, ChatRole.Assistant], Assert.Single(ChatFormats.Read("sgd", sgd)).Select(t => t.Role));

        var bot = _dir.Write("b.yml", "categories:\n- x\nconversations:\n- - Hello\n  - Hi there\n  - How are you?\n  - '1963'\n- stray line\n");
        var conversations = ChatFormats.Read("chatterbot", bot).ToList();
        Assert.Equal(["Hello", "Hi there", "How are you?", "1963"], conversations[0].Select(t => t.Content));
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.User, ChatRole.Assistant], conversations[0].Select(t => t.Role));
        Assert.Empty(conversations[1]);

        Assert.Contains("no \"conversations\" array", Assert.Throws<GlmException>(() => ChatFormats.Read("sharegpt", sgd).ToList()).Message);
    }

    [Fact]
    public void Json_lines_round_trip_through_the_chat_corpus()
    {
        var turns = new[] { new ChatTurn(ChatRole.User, "你好 \"quoted\"\n"), new ChatTurn(ChatRole.Assistant, "hi") };
        var file = _dir.Write("rt.jsonl", ChatFormats.ToJsonLine(turns) + "\n");
        Assert.Equal(turns, Assert.Single(ChatCorpus.Read([file])));
    }
}
