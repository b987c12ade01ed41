#!/usr/bin/env bash
# The flash tier (glm-4-flash): a smaller, faster chatglm model (2 layers, hidden 160) trained like the flagship
# (blank-infilling pretraining on the same books, then the same chat fine-tuning) and shipped quantized to Q4_0.
#
#   models/recipes/glm-4-flash.sh CORPORA_DIR FLAGSHIP_RUN_DIR [RUN_DIR] [MINUTES]
#
# FLAGSHIP_RUN_DIR is the run folder of models/recipes/glm-4.sh: flash shares its tokenizer and its chat data.
# Resumable: run the script again and it continues, MINUTES (default 110) at a time, until pretraining's last step.
set -euo pipefail
DATA=${1:?usage: glm-4-flash.sh CORPORA_DIR FLAGSHIP_RUN_DIR [RUN_DIR] [MINUTES]}
FLAGSHIP=${2:?usage: glm-4-flash.sh CORPORA_DIR FLAGSHIP_RUN_DIR [RUN_DIR] [MINUTES]}
RUNS=${3:-runs/glm-4-flash}
MINUTES=${4:-110}
DEVICE=${DEVICE:-cpu}
HERE=$(cd "$(dirname "$0")" && pwd)
glm() { dotnet run -c Release --project "$HERE/../../src/Glm.Cli" -- "$@"; }
mkdir -p "$RUNS"

# 1. Pretraining: the flagship's data slice and blank-infilling mix, a model of a seventh of its parameters.
PT="$RUNS/pretrain"
if [ -d "$PT/checkpoint" ]; then
  glm train --out "$PT" --resume --time-limit "$MINUTES" --device "$DEVICE"
else
  glm train --family chatglm --objective infill --mix 0.3,0.1,0.6 --device "$DEVICE" \
    --data "$FLAGSHIP/data/children.txt" "$FLAGSHIP/data/books.txt" "$FLAGSHIP/data/chinese.txt" \
    --eval-data "$FLAGSHIP/data/valid.txt" --tokenizer "$FLAGSHIP/tokenizer/tokenizer.json" \
    --layers 2 --hidden 160 --heads 5 --kv-heads 1 --ffn 448 --tie-embeddings --seq-len 256 --batch 16 \
    --steps 1500 --lr 3e-3 --warmup 100 --eval-every 250 --save-every 50 --time-limit "$MINUTES" --out "$PT"
fi
STEP=$(grep -o '"step": *[0-9]*' "$PT/checkpoint/trainer_state.json" | grep -o '[0-9]*$')
if [ "$STEP" -lt 1500 ] && [ "${PREVIEW:-0}" != 1 ]; then
  echo "pretraining is at step $STEP of 1500: run this script again to continue"; exit 0
fi

# 2. Chat fine-tuning on the flagship's chat data (models/recipes/glm-4.sh step 4 writes it).
rm -rf "$RUNS/chat-tuned"
glm train --objective chat --init-from "$PT" --device "$DEVICE" \
  --data "$FLAGSHIP/chat/chatterbot.jsonl" "$FLAGSHIP/chat/sgd.jsonl" "$FLAGSHIP/chat/alpaca.jsonl" "$FLAGSHIP/chat/identity.jsonl" "$FLAGSHIP/chat/fastchat.jsonl" \
         "$FLAGSHIP/chat/roleplay.jsonl" \
  --seq-len 256 --batch 16 --steps 600 --lr 1e-3 --warmup 20 --eval-every 200 --save-every 60 --out "$RUNS/chat-tuned"

# 3. Ship: a Q4_0 GGUF with the tokenizer beside it (at this size Q4_0 decodes faster than Q8_0 or BF16).
OUT="$HERE/../glm-4-flash"
mkdir -p "$OUT"
glm convert --input "$RUNS/chat-tuned" --output "$RUNS/flash-f32.gguf" --type f32
glm quantize --input "$RUNS/flash-f32.gguf" --output "$OUT/glm-4-flash.q4_0.gguf" --type q4_0
cp "$RUNS/chat-tuned/tokenizer.json" "$OUT/tokenizer.json"
cp "$PT/loss.svg" "$OUT/loss-pretraining.svg"
cp "$RUNS/chat-tuned/loss.svg" "$OUT/loss-chat.svg"
