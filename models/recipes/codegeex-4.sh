#!/usr/bin/env bash
# The code tier (codegeex-4): the flagship's blank-infilling pretraining continued on source code (CPython's standard
# library and tests, and the C# of Newtonsoft.Json, Humanizer and MoreLINQ), for completion and fill-in-the-middle.
#
#   models/recipes/codegeex-4.sh CORPORA_DIR FLAGSHIP_RUN_DIR [RUN_DIR] [MINUTES]
#
# FLAGSHIP_RUN_DIR is the run folder of models/recipes/glm-4.sh (its pretrain/ stage is the starting point; the model
# card names the step it was taken at). One file in twenty, chosen by a hash of its repository and path, is held out
# for evaluation and never trained on. Resumable: run the script again and it continues, MINUTES (default 110) at a
# time, until the last step; then it evaluates and ships. Add DEVICE=cuda to train on a GPU.
set -euo pipefail
DATA=${1:?usage: codegeex-4.sh CORPORA_DIR FLAGSHIP_RUN_DIR [RUN_DIR] [MINUTES]}
FLAGSHIP=${2:?usage: codegeex-4.sh CORPORA_DIR FLAGSHIP_RUN_DIR [RUN_DIR] [MINUTES]}
RUNS=${3:-runs/codegeex-4}
MINUTES=${4:-110}
DEVICE=${DEVICE:-cpu}
HERE=$(cd "$(dirname "$0")" && pwd)
glm() { dotnet run -c Release --project "$HERE/../../src/Glm.Cli" -- "$@"; }
mkdir -p "$RUNS"

# 1. Held-out split by file: sha1("repo/path") mod 20 == 0 is held out (180 of 3,569 files).
if [ ! -f "$RUNS/heldout.jsonl" ]; then
  python3 - "$DATA/code" "$RUNS" <<'PY'
import gzip, hashlib, json, sys
src, out = sys.argv[1], sys.argv[2]
files = {"python": ["python_stdlib_3.11_lib.jsonl.gz", "python_stdlib_3.11_tests.jsonl.gz"], "csharp": ["csharp_mit_apache.jsonl.gz"]}
train = {lang: open(f"{out}/train-{lang}.jsonl", "w") for lang in files}
held = open(f"{out}/heldout.jsonl", "w")
for lang, names in files.items():
    for name in names:
        for line in gzip.open(f"{src}/{name}", "rt", encoding="utf-8"):
            d = json.loads(line)
            key = d["repo"].split("@")[0] + "/" + d["path"]
            (held if int(hashlib.sha1(key.encode()).hexdigest(), 16) % 20 == 0 else train[lang]).write(line)
PY
fi

# 2. The training slice: the first 8 MB of the Python files and 4 MB of the C# (about 3M tokens, one pass of the
#    steps below), and the first 1 MB of the held-out files for the evaluations during training.
if [ ! -f "$RUNS/slice-heldout.jsonl" ]; then
  head -c 8000000 "$RUNS/train-python.jsonl" | sed '$d' > "$RUNS/slice-python.jsonl"
  head -c 4000000 "$RUNS/train-csharp.jsonl" | sed '$d' > "$RUNS/slice-csharp.jsonl"
  head -c 1000000 "$RUNS/heldout.jsonl" | sed '$d' > "$RUNS/slice-heldout.jsonl"
fi

# 3. Continued pretraining from the flagship: 40% token spans ([MASK], the fill-in-the-middle form), 10% sentences,
#    50% file suffixes ([gMASK], the completion form). Python and C# interleaved in proportion to their size.
PT="$RUNS/pretrain"
if [ -d "$PT/checkpoint" ]; then
  glm train --out "$PT" --resume --time-limit "$MINUTES" --device "$DEVICE"
else
  glm train --objective infill --mix 0.4,0.1,0.5 --init-from "$FLAGSHIP/pretrain" --device "$DEVICE" \
    --data "$RUNS/slice-python.jsonl" "$RUNS/slice-csharp.jsonl" --eval-data "$RUNS/slice-heldout.jsonl" \
    --seq-len 256 --batch 16 --steps 700 --lr 1e-3 --warmup 30 --eval-every 100 --save-every 50 \
    --time-limit "$MINUTES" --out "$PT"
fi
STEP=$(grep -o '"step": *[0-9]*' "$PT/checkpoint/trainer_state.json" | grep -o '[0-9]*$')
if [ "$STEP" -lt 700 ]; then
  echo "continued pretraining is at step $STEP of 700: run this script again to continue"; exit 0
fi

# 4. Ship (matrices in BF16) and evaluate on the held-out files.
OUT="$HERE/../codegeex-4"
glm export --input "$PT" --output "$OUT" --dtype bf16
cp "$PT/loss.svg" "$OUT/loss-code.svg"
glm eval code --model "$OUT" --data "$RUNS/heldout.jsonl" --count 200 --json | tee "$RUNS/eval-code.json"
glm eval perplexity --model "$OUT" --data "$RUNS/heldout.jsonl" --max-tokens 30000 --json | tee "$RUNS/eval-ppl-code.json"
