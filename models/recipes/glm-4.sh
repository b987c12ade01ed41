#!/usr/bin/env bash
# The flagship tier (glm-4): a chatglm-family model pretrained with GLM blank infilling on English Gutenberg books
# (plus children's books and some modern Chinese), then fine-tuned on short chats in the GLM-4 chat format.
#
#   models/recipes/glm-4.sh CORPORA_DIR [RUN_DIR] [MINUTES]
#
# CORPORA_DIR holds gutenberg_en/, chinese/ and sft/ (see the model card for sources and licences). Every stage is
# resumable: run the script again and it continues where the last run stopped, MINUTES (default 110) at a time,
# until pretraining reaches its last step. Add DEVICE=cuda to the environment to train on a GPU: pretraining takes
# about 100 seconds on one H200 and 12-21 hours on 2 CPU cores (4.1 PFLOP at 40-70% of their 134 GFLOP/s).
set -euo pipefail
DATA=${1:?usage: glm-4.sh CORPORA_DIR [RUN_DIR] [MINUTES]}
RUNS=${2:-runs/glm-4}
MINUTES=${3:-110}
DEVICE=${DEVICE:-cpu}
HERE=$(cd "$(dirname "$0")" && pwd)
glm() { dotnet run -c Release --project "$HERE/../../src/Glm.Cli" -- "$@"; }
mkdir -p "$RUNS"

# 1. Tokenizer: byte-level BPE, 8192 tokens, shared by every tier.
if [ ! -f "$RUNS/tokenizer/tokenizer.json" ]; then
  glm tokenizer train --vocab-size 8192 --out "$RUNS/tokenizer" --input \
    "$DATA/gutenberg_en/gutenberg_en_train.txt.gz" "$DATA/chinese/chinese_poetry/chinese_poetry_simplified_12MB_sample.txt.gz" \
    "$DATA/chinese/python_docs_zh_cn/python_docs_zh_cn_3.13.txt.gz" "$DATA/code/python_stdlib_3.11_lib.jsonl.gz" \
    "$DATA/code/csharp_mit_apache.jsonl.gz"
fi

# 2. The pretraining slice: the first 12 MB of children's books, 40 MB of books and 3 MB of Chinese (about 15M tokens),
#    and the first 1 MB of the validation split, each cut at a line end.
SLICE="$RUNS/data"
if [ ! -f "$SLICE/valid.txt" ]; then
  mkdir -p "$SLICE"
  slice() { gzip -dc "$1" | head -c "$2" | sed '$d' > "$3"; }
  slice "$DATA/gutenberg_en/gutenberg_en_children.txt.gz" 12000000 "$SLICE/children.txt"
  slice "$DATA/gutenberg_en/gutenberg_en_train.txt.gz" 40000000 "$SLICE/books.txt"
  slice "$DATA/chinese/python_docs_zh_cn/python_docs_zh_cn_3.13.txt.gz" 3000000 "$SLICE/chinese.txt"
  slice "$DATA/gutenberg_en/gutenberg_en_valid.txt.gz" 1000000 "$SLICE/valid.txt"
fi

# 3. Pretraining: blank infilling, 30% token spans ([MASK]), 10% sentences ([sMASK]), 60% document suffixes ([gMASK]).
#    The files are interleaved in proportion to their size (children's books 22%, books 73%, Chinese 5%); 1,411 steps
#    of 32,768 tokens are about three passes over the slice.
PT="$RUNS/pretrain"
if [ -d "$PT/checkpoint" ]; then
  glm train --out "$PT" --resume --time-limit "$MINUTES" --device "$DEVICE"
else
  glm train --family chatglm --objective infill --mix 0.3,0.1,0.6 --device "$DEVICE" \
    --data "$SLICE/children.txt" "$SLICE/books.txt" "$SLICE/chinese.txt" \
    --eval-data "$SLICE/valid.txt" --tokenizer "$RUNS/tokenizer/tokenizer.json" \
    --layers 6 --hidden 384 --heads 6 --kv-heads 2 --ffn 1024 --tie-embeddings --seq-len 512 --batch 64 \
    --steps 1411 --lr 1.5e-3 --warmup 100 --eval-every 200 --save-every 25 --time-limit "$MINUTES" --out "$PT"
fi

# Fine-tune only once pretraining has reached its last step (PREVIEW=1 fine-tunes whatever is there).
STEP=$(grep -o '"step": *[0-9]*' "$PT/checkpoint/trainer_state.json" | grep -o '[0-9]*$')
if [ "$STEP" -lt 1411 ] && [ "${PREVIEW:-0}" != 1 ]; then
  echo "pretraining is at step $STEP of 1411: run this script again to continue"; exit 0
fi

# 4. Chat data: ChatterBot small talk, 300 short Schema-Guided dialogues, self-instruct seeds (three times), FastChat's
#    small talk and identity conversations (with the model's own name put in), the model's identity (ten times) and
#    GPTeacher's role-play instructions under 900 characters.
SFT_DATA="$RUNS/chat"
mkdir -p "$SFT_DATA"
glm data chat --format chatterbot --input "$DATA"/sft/chatterbot_corpus/english/*.yml --out "$SFT_DATA/chatterbot.jsonl"
glm data chat --format sgd --input "$DATA"/sft/sgd/train/dialogues_*.json.gz --max-turns 4 --max-chars 300 --limit 4000 --out "$SFT_DATA/sgd-4000.jsonl"
head -300 "$SFT_DATA/sgd-4000.jsonl" > "$SFT_DATA/sgd.jsonl"
glm data chat --format alpaca --input "$DATA/sft/alpaca_seed/seed_tasks.jsonl" --max-chars 800 --out "$SFT_DATA/alpaca-once.jsonl"
for i in 1 2 3; do cat "$SFT_DATA/alpaca-once.jsonl"; done > "$SFT_DATA/alpaca.jsonl"
glm data chat --format alpaca --input "$DATA/sft/gpteacher/roleplay-simple-deduped-roleplay-instruct.json" --max-chars 900 --out "$SFT_DATA/roleplay.jsonl"
glm data chat --format sharegpt --input "$DATA/sft/fastchat/dummy_conversation.json" --out "$SFT_DATA/fastchat-raw.jsonl"
sed -e 's/Large Model Systems Organization (LMSYS)/the GlmSharp project/g; s/LMSYS/GlmSharp/g; s/Vicuna/GLM/g' \
  "$SFT_DATA/fastchat-raw.jsonl" > "$SFT_DATA/fastchat.jsonl"
for i in 1 2 3 4 5 6 7 8 9 10; do cat "$HERE/identity.jsonl"; done > "$SFT_DATA/identity.jsonl"

# 5. Fine-tuning from the pretrained model: loss on the assistant replies only.
rm -rf "$RUNS/chat-tuned"
glm train --objective chat --init-from "$PT" --device "$DEVICE" \
  --data "$SFT_DATA/chatterbot.jsonl" "$SFT_DATA/sgd.jsonl" "$SFT_DATA/alpaca.jsonl" "$SFT_DATA/identity.jsonl" "$SFT_DATA/fastchat.jsonl" \
         "$SFT_DATA/roleplay.jsonl" \
  --seq-len 256 --batch 16 --steps 600 --lr 5e-4 --warmup 20 --eval-every 200 --save-every 50 --out "$RUNS/chat-tuned"

# 6. Ship: matrices in BF16.
glm export --input "$RUNS/chat-tuned" --output "$HERE/../glm-4" --dtype bf16
cp "$PT/loss.svg" "$HERE/../glm-4/loss-pretraining.svg"
cp "$RUNS/chat-tuned/loss.svg" "$HERE/../glm-4/loss-chat.svg"
