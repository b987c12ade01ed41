namespace Glm.Checkpoints.Tests.HuggingFace;

/// <summary>config.json files as published with the upstream THUDM checkpoints (field sets and values).</summary>
internal static class RealConfigs
{
    public const string Glm4_9bChat = """
        {
          "_name_or_path": "THUDM/glm-4-9b-chat",
          "model_type": "chatglm",
          "architectures": [
            "ChatGLMModel"
          ],
          "auto_map": {
            "AutoConfig": "configuration_chatglm.ChatGLMConfig",
            "AutoModel": "modeling_chatglm.ChatGLMForConditionalGeneration",
            "AutoModelForCausalLM": "modeling_chatglm.ChatGLMForConditionalGeneration",
            "AutoModelForSeq2SeqLM": "modeling_chatglm.ChatGLMForConditionalGeneration",
            "AutoModelForSequenceClassification": "modeling_chatglm.ChatGLMForSequenceClassification"
          },
          "add_bias_linear": false,
          "add_qkv_bias": true,
          "apply_query_key_layer_scaling": true,
          "apply_residual_connection_post_layernorm": false,
          "attention_dropout": 0.0,
          "attention_softmax_in_fp32": true,
          "attn_implementation": "sdpa",
          "bias_dropout_fusion": true,
          "ffn_hidden_size": 13696,
          "fp32_residual_connection": false,
          "hidden_dropout": 0.0,
          "hidden_size": 4096,
          "kv_channels": 128,
          "layernorm_epsilon": 1.5625e-07,
          "multi_query_attention": true,
          "multi_query_group_num": 2,
          "num_attention_heads": 32,
          "num_hidden_layers": 40,
          "num_layers": 40,
          "rope_ratio": 500,
          "original_rope": true,
          "padded_vocab_size": 151552,
          "post_layer_norm": true,
          "rmsnorm": true,
          "seq_length": 131072,
          "use_cache": true,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.44.0",
          "tie_word_embeddings": false,
          "eos_token_id": [151329, 151336, 151338],
          "pad_token_id": 151329
        }
        """;

    public const string ChatGlm3_6b = """
        {
          "_name_or_path": "THUDM/chatglm3-6b",
          "model_type": "chatglm",
          "architectures": ["ChatGLMModel"],
          "auto_map": {
            "AutoConfig": "configuration_chatglm.ChatGLMConfig",
            "AutoModel": "modeling_chatglm.ChatGLMForConditionalGeneration"
          },
          "add_bias_linear": false,
          "add_qkv_bias": true,
          "apply_query_key_layer_scaling": true,
          "apply_residual_connection_post_layernorm": false,
          "attention_dropout": 0.0,
          "attention_softmax_in_fp32": true,
          "bias_dropout_fusion": true,
          "ffn_hidden_size": 13696,
          "fp32_residual_connection": false,
          "hidden_dropout": 0.0,
          "hidden_size": 4096,
          "kv_channels": 128,
          "layernorm_epsilon": 1e-05,
          "multi_query_attention": true,
          "multi_query_group_num": 2,
          "num_attention_heads": 32,
          "num_layers": 28,
          "original_rope": true,
          "padded_vocab_size": 65024,
          "post_layer_norm": true,
          "rmsnorm": true,
          "seq_length": 32768,
          "use_cache": true,
          "torch_dtype": "float16",
          "transformers_version": "4.30.2",
          "tie_word_embeddings": false,
          "eos_token_id": 2,
          "pad_token_id": 0,
          "quantization_bit": 0,
          "pre_seq_len": null,
          "prefix_projection": false
        }
        """;

    public const string Glm10b = """
        {
          "architectures": ["GLMModel"],
          "attention_dropout_prob": 0.1,
          "attention_scale": 1.0,
          "auto_map": {"AutoConfig": "configuration_glm.GLMConfig", "AutoModel": "modeling_glm.GLMModel"},
          "block_position_encoding": true,
          "checkpoint_activations": false,
          "checkpoint_num_layers": 1,
          "embedding_dropout_prob": 0.1,
          "hidden_size": 4096,
          "initializer_range": 0.02,
          "max_sequence_length": 1024,
          "model_type": "glm",
          "num_attention_heads": 64,
          "num_layers": 48,
          "output_dropout_prob": 0.1,
          "output_predict": true,
          "parallel_output": true,
          "pool_token": "cls",
          "relative_encoding": false,
          "spell_func": "lstm",
          "spell_length": null,
          "torch_dtype": "float32",
          "vocab_size": 50048
        }
        """;

    public const string Glm4GenerationConfig = """
        {
          "eos_token_id": [151329, 151336, 151338],
          "pad_token_id": 151329,
          "do_sample": true,
          "temperature": 0.8,
          "max_length": 128000,
          "top_p": 0.8,
          "transformers_version": "4.44.0"
        }
        """;
}
