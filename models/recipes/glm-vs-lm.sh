#!/usr/bin/env bash
# The GLM paper's central claim at small scale: the flagship's pretraining (blank infilling) against the same model,
# data, steps and batch trained as a plain left-to-right language model, on generation (perplexity) and understanding
# (single-word cloze).
#
#   models/recipes/glm-vs-lm.sh CORPORA_DIR FLAGSHIP_RUN_DIR [RUN_DIR] [MINUTES]
#
# FLAGSHIP_RUN_DIR is the run folder of models/recipes/glm-4.sh (its data slice, tokenizer and pretrain/ stage).
# Resumable like the other recipes; DEVICE=cuda trains on a GPU (about 100 seconds on one H200).
set -euo pipefail
DATA=${1:?usage: glm-vs-lm.sh CORPORA_DIR FLAGSHIP_RUN_DIR [RUN_DIR] [MINUTES]}
FLAGSHIP=${2:?usage: glm-vs-lm.sh CORPORA_DIR FLAGSHIP_RUN_DIR [RUN_DIR] [MINUTES]}
RUNS=${3:-runs/glm-vs-lm}
MINUTES=${4:-110}
DEVICE=${DEVICE:-cpu}
HERE=$(cd "$(dirname "$0")" && pwd)
glm() { dotnet run -c Release --project "$HERE/../../src/Glm.Cli" -- "$@"; }
mkdir -p "$RUNS"

# 1. The left-to-right twin: every flag of the flagship's pretraining but the objective.
LM="$RUNS/lm"
if [ -d "$LM/checkpoint" ]; then
  glm train --out "$LM" --resume --time-limit "$MINUTES" --device "$DEVICE"
else
  glm train --family chatglm --objective lm --device "$DEVICE" \
    --data "$FLAGSHIP/data/children.txt" "$FLAGSHIP/data/books.txt" "$FLAGSHIP/data/chinese.txt" \
    --eval-data "$FLAGSHIP/data/valid.txt" --tokenizer "$FLAGSHIP/tokenizer/tokenizer.json" \
    --layers 6 --hidden 384 --heads 6 --kv-heads 2 --ffn 1024 --tie-embeddings --seq-len 512 --batch 64 \
    --steps 1411 --lr 1.5e-3 --warmup 100 --eval-every 200 --save-every 25 --time-limit "$MINUTES" --out "$LM"
fi
STEP=$(grep -o '"step": *[0-9]*' "$LM/checkpoint/trainer_state.json" | grep -o '[0-9]*$')
if [ "$STEP" -lt 1411 ]; then
  echo "the left-to-right twin is at step $STEP of 1411: run this script again to continue"; exit 0
fi

# 2. The same evaluations for both: perplexity (each in the form it generates: a [gMASK] blank for GLM, left to right
#    for the twin) and single-word cloze (GLM fills a [MASK] seeing both sides; the twin sees the text before it).
glm eval make-cloze --data "$DATA/gutenberg_en/gutenberg_en_test.txt.gz" --count 400 --blank inside --out "$RUNS/cloze-inside.jsonl"
glm eval make-cloze --data "$DATA/gutenberg_en/gutenberg_en_test.txt.gz" --count 400 --blank last --out "$RUNS/cloze-last.jsonl"
for m in glm:"$FLAGSHIP/pretrain" lm:"$LM"; do
  name=${m%%:*}; dir=${m#*:}
  glm eval perplexity --model "$dir" --data "$DATA/gutenberg_en/gutenberg_en_test.txt.gz" --max-tokens 30000 --json > "$RUNS/$name-ppl-gutenberg.json"
  glm eval perplexity --model "$dir" --data "$DATA/wikitext/wiki.test.raw" --max-tokens 30000 --json > "$RUNS/$name-ppl-wiki.json"
  glm eval cloze --model "$dir" --data "$RUNS/cloze-inside.jsonl" --json > "$RUNS/$name-cloze-inside.json"
  glm eval cloze --model "$dir" --data "$RUNS/cloze-last.jsonl" --json > "$RUNS/$name-cloze-last.json"
done
grep -h . "$RUNS"/*-ppl-*.json "$RUNS"/*-cloze-*.json
