#!/bin/sh
# tests/cli/run.sh: one check per flag of venusc and of a model binary.
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "cli: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok    $1"; }
no() { fail=$((fail+1)); echo "FAIL  $1"; [ -f "$work/err" ] && sed 's/^/      /' "$work/err" | head -5; }
# t NAME COMMAND...: the command must succeed
t() { n=$1; shift; if "$@" >"$work/out" 2>"$work/err"; then ok "$n"; else no "$n (exit $?)"; fi; }
# has NAME PATTERN FILE: FILE must match PATTERN
has() { if grep -qE -- "$2" "$3"; then ok "$1"; else no "$1: no /$2/ in output"; sed 's/^/      /' "$3" | head -5; fi; }
# same_logits NAME A B TOL: two logits files agree within TOL
same_logits() {
  if python3 - "$2" "$3" "$4" <<'PY'
import struct, sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert len(a) == len(b) and len(a) > 0, "sizes %d %d" % (len(a), len(b))
x, y = struct.unpack("<%df" % (len(a) // 4), a), struct.unpack("<%df" % (len(b) // 4), b)
d = max(abs(p - q) for p, q in zip(x, y))
assert d <= float(sys.argv[3]), "max diff %g" % d
PY
  then ok "$1"; else no "$1"; fi
}

M=tests/fixtures/hf/llama
IDS=$(python3 -c "import json; print(','.join(map(str, json.load(open('$M/reference.json'))['input_ids'])))")

# ---- venusc ----
t "venusc --help" ./venusc --help; has "venusc --help lists compile" "compile MODEL -o OUT" "$work/out"
t "venusc --version" ./venusc --version; has "venusc --version" "^venusc [0-9]" "$work/out"
t "venusc specs" ./venusc specs; has "specs lists llama" "^llama +LlamaForCausalLM" "$work/out"
has "specs lists qwen3" "Qwen3ForCausalLM" "$work/out"
has "specs lists qwen3_next" "^qwen3_next +Qwen3NextForCausalLM" "$work/out"
has "specs lists falcon_h1" "^falcon_h1 +FalconH1ForCausalLM" "$work/out"
t "specs --json" ./venusc specs --json
if python3 -c "import json,sys; a=json.load(open(sys.argv[1])); s={x['name']: x for x in a}; assert 'LlamaForCausalLM' in s['llama']['hf'] and s['bert']['gguf'] == ['bert'] and all(set(x) >= {'name','file','hf','model_type','gguf'} for x in a)" "$work/out"
then ok "specs --json: one object per spec (docs/json.md)"; else no "specs --json: one object per spec (docs/json.md)"; fi
if ./venusc specs --tsv >"$work/out" 2>"$work/err"; then no "specs: an unknown option fails"; else has "specs: an unknown option is named" "unknown option '--tsv'" "$work/err"; fi
t "inspect --json" ./venusc inspect $M --json
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['spec']['name'] == 'llama' and d['format'] == 'hf' and d['fusions']['glu'] == 2 and d['weights']['bytes'] > 0 and d['arena_bytes'] > 0 and d['embeddings'] is None and d['graph']['ops']['matmul'] > 0" "$work/out"
then ok "inspect --json: the facts of the text (docs/json.md)"; else no "inspect --json: the facts of the text (docs/json.md)"; fi
t "inspect --json of a GGUF encoder" ./venusc inspect tests/fixtures/gguf-conv/bert.gguf --json
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['format'] == 'gguf' and d['encoder_only'] and d['embeddings']['pooling'] == 'mean' and d['embeddings']['hidden'] > 0" "$work/out"
then ok "inspect --json: embeddings of a GGUF encoder"; else no "inspect --json: embeddings of a GGUF encoder"; fi
if ./venusc compile $M --json -o "$work/j" >"$work/out" 2>"$work/err"; then no "compile --json is refused"; else has "compile --json is refused" "unknown option '--json'" "$work/err"; fi
t "venusc targets" ./venusc targets; has "targets lists generic" "^generic " "$work/out"; has "targets names native" "^native = " "$work/out"
t "venusc inspect" ./venusc inspect $M; has "inspect: arena" "^arena: +[0-9]+ bytes" "$work/out"
has "inspect: fusions" "fusions: +glu 2 qkv 2 rope 2 residual 4" "$work/out"
has "inspect: weights" "^weights: +[0-9]+ bytes \(f32" "$work/out"
t "compile -d fuse" ./venusc compile $M -d fuse; has "-d fuse shows the glu matmul" "= matmul .* act=silu glu" "$work/out"
t "compile -d plan" ./venusc compile $M -d plan; has "-d plan shows the arena" "^# plan: arena [0-9]+ bytes" "$work/out"
t "compile -d build" ./venusc compile $M -d build; has "-d build is unfused" "= mul " "$work/out"
if ./venusc compile $M -d nopass >"$work/out" 2>"$work/err"; then no "-d nopass fails"; else has "-d nopass names the passes" "no such pass.*fuse" "$work/err"; fi
t "compile --dot" ./venusc compile $M --dot "$work/g.dot"; has "--dot writes Graphviz" "^digraph venus" "$work/g.dot"
t "compile --no-fuse" ./venusc compile $M --no-fuse -d plan; has "--no-fuse keeps mul" "= mul " "$work/out"
t "compile -v" ./venusc compile $M -o "$work/a" -v; has "-v reports progress" "^venusc: wrote " "$work/err"
t "logits" "$work/a" --ids "$IDS" --logits "$work/a.logits"
t "compile --target generic" ./venusc compile $M -o "$work/g" --target generic
t "generic logits" "$work/g" --ids "$IDS" --logits "$work/g.logits"
same_logits "generic target = native target" "$work/a.logits" "$work/g.logits" 1e-4
t "compile --batch 7" ./venusc compile $M -o "$work/b7" --batch 7
t "batch-7 logits" "$work/b7" --ids "$IDS" --logits "$work/b7.logits"
same_logits "prefill in chunks of 7 = one pass" "$work/a.logits" "$work/b7.logits" 1e-4
# transformers 4 configs may hold bare Infinity (Python's json): same model as {"__float__": "Infinity"}
mkdir -p "$work/inf" && cp tests/fixtures/hf/mamba2/* "$work/inf/"
python3 -c "import json,sys; p=sys.argv[1]; c=json.load(open(p)); c['time_step_limit']=[0.0, float('inf')]; open(p,'w').write(json.dumps(c))" "$work/inf/config.json"
t "config with a bare Infinity" ./venusc compile "$work/inf" -o "$work/inf/m"
M2IDS=$(python3 -c "import json; print(','.join(map(str, json.load(open('tests/fixtures/hf/mamba2/reference.json'))['input_ids'])))")
t "bare-Infinity model runs" "$work/inf/m" --ids "$M2IDS" --logits "$work/inf.logits"
t "the same model as stored" ./venusc compile tests/fixtures/hf/mamba2 -o "$work/m2"
t "stored model runs" "$work/m2" --ids "$M2IDS" --logits "$work/m2.logits"
same_logits "bare Infinity = {__float__: Infinity}" "$work/inf.logits" "$work/m2.logits" 0
# length-dependent RoPE (dynamic NTK) sees the whole prompt even when it is
# prefilled in chunks: the prompt of 40 is longer than the trained 32
D=tests/fixtures/hf/llama_rope_dynamic
DIDS=$(python3 -c "import json; print(','.join(map(str, json.load(open('$D/reference.json'))['input_ids'])))")
t "dynamic NTK, one pass" ./venusc compile $D -o "$work/d1"
t "dynamic NTK, one-pass logits" "$work/d1" --ids "$DIDS" --logits "$work/d1.logits"
t "dynamic NTK, --batch 7" ./venusc compile $D -o "$work/d7" --batch 7
t "dynamic NTK, chunked logits" "$work/d7" --ids "$DIDS" --logits "$work/d7.logits"
same_logits "dynamic NTK: chunked prefill = one pass" "$work/d1.logits" "$work/d7.logits" 1e-4
t "compile --emit-c" ./venusc compile $M -o "$work/e" --emit-c "$work/src"
has "--emit-c writes a Makefile" "^SRC = model.c" "$work/src/Makefile"
t "make in the emitted tree" make -s -C "$work/src"
t "emitted tree binary runs" "$work/src/e" --weights "$work/e.vnw" --ids "$IDS" --logits "$work/e.logits"
same_logits "emitted tree binary = compiled binary" "$work/a.logits" "$work/e.logits" 0
for d in f16 bf16 q8_0 q4_0; do
  t "compile --dtype $d" ./venusc compile $M -o "$work/$d" --dtype $d
  t "$d logits" "$work/$d" --ids "$IDS" --logits "$work/$d.logits"
done
same_logits "f16 weights close to f32" "$work/a.logits" "$work/f16.logits" 0.05
same_logits "bf16 weights close to f32" "$work/a.logits" "$work/bf16.logits" 0.2
same_logits "q8_0 weights close to f32" "$work/a.logits" "$work/q8_0.logits" 0.2
./venusc inspect $M --dtype q8_0 >"$work/out" 2>&1; has "inspect shows q8_0 weights" "q8_0 [0-9]+" "$work/out"
# --kv-dtype f16: the demo model's logits over 256 positions with the KV
# cache in f16 within 5e-3 x max|logit| of the f32 cache's (measured 6.5e-4),
# the same greedy text, a smaller cache; a bad value is refused by name
K=examples/tiny-kjv
KIDS=$(python3 -c "import json; print(','.join(map(str, json.load(open('$K/reference.json'))['val_first_ids'][:256])))")
t "compile --kv-dtype f32" ./venusc compile $K -o "$work/k32" --kv-dtype f32
t "compile --kv-dtype f16" ./venusc compile $K -o "$work/k16" --kv-dtype f16
t "f32 cache logits" "$work/k32" --ids "$KIDS" --logits "$work/k32.logits"
t "f16 cache logits" "$work/k16" --ids "$KIDS" --logits "$work/k16.logits"
if python3 - "$work/k32.logits" "$work/k16.logits" <<'PY'
import struct, sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
x, y = struct.unpack("<%df" % (len(a) // 4), a), struct.unpack("<%df" % (len(b) // 4), b)
assert len(x) == len(y) > 0
d, m = max(abs(p - q) for p, q in zip(x, y)), max(abs(p) for p in x)
assert 0 < d <= 5e-3 * m, "max diff %g of max|logit| %g" % (d, m)
PY
then ok "f16 KV cache within 5e-3 x max|logit| of f32"; else no "f16 KV cache within 5e-3 x max|logit| of f32"; fi
"$work/k32" --ids "$KIDS" -n 24 --temp 0 --print-ids > "$work/k32.ids" 2>/dev/null
"$work/k16" --ids "$KIDS" -n 24 --temp 0 --print-ids > "$work/k16.ids" 2>/dev/null
if [ -s "$work/k32.ids" ] && cmp -s "$work/k32.ids" "$work/k16.ids"; then ok "f16 KV cache: the same 24 greedy tokens"; else no "f16 KV cache: the same 24 greedy tokens"; fi
./venusc inspect $K --kv-dtype f16 > "$work/i16" 2>&1; ./venusc inspect $K > "$work/i32" 2>&1
s16=$(sed -n 's/^state: *\([0-9]*\) bytes.*/\1/p' "$work/i16"); s32=$(sed -n 's/^state: *\([0-9]*\) bytes.*/\1/p' "$work/i32")
if [ -n "$s16" ] && [ -n "$s32" ] && [ $((s16 * 2)) -eq "$s32" ]; then ok "--kv-dtype f16 halves the cache per position"; else no "--kv-dtype f16 halves the cache per position ($s16 vs $s32)"; fi
if ./venusc compile $K -o "$work/kx" --kv-dtype q4 >"$work/out" 2>"$work/err"; then no "--kv-dtype q4 is refused"
else has "--kv-dtype q4 is refused by name" "--kv-dtype q4: not one of f32 f16" "$work/err"; fi
if [ -e "$work/kx" ] || [ -e "$work/kx.vnw" ]; then no "a refused --kv-dtype writes nothing"; else ok "a refused --kv-dtype writes nothing"; fi

# ---- the model binary ----
t "OUT --help" "$work/a" --help; has "OUT --help lists --perplexity" "--perplexity FILE" "$work/out"
t "-t 1" "$work/a" --ids "$IDS" --logits "$work/t1.logits" -t 1
same_logits "-t 1 = all threads" "$work/a.logits" "$work/t1.logits" 1e-5
# a failed --logits write names the path and deletes nothing it did not make
if [ -c /dev/full ] && [ -w /dev/full ]; then
  if "$work/a" --ids "$IDS" --logits /dev/full >"$work/out" 2>"$work/err"; then no "--logits /dev/full fails"
  else has "--logits /dev/full names the path" "/dev/full: write failed: No space left" "$work/err"; fi
  if [ -c /dev/full ]; then ok "--logits /dev/full leaves the device"; else no "--logits /dev/full deleted /dev/full"; fi
fi
printf 'kept' > "$work/keep.logits"; chmod 444 "$work/keep.logits"
t "--logits over an existing file" "$work/a" --ids "$IDS" --logits "$work/keep.logits"
same_logits "--logits replaces an existing file whole" "$work/a.logits" "$work/keep.logits" 0
if ls "$work"/*.tmp* >/dev/null 2>&1; then no "--logits leaves no temporary file"; else ok "--logits leaves no temporary file"; fi
mkdir "$work/ro"; printf 'kept' > "$work/ro/x.logits"; ln -s "$work/ro/x.logits" "$work/link.logits"
t "--logits through a symbolic link" "$work/a" --ids "$IDS" --logits "$work/link.logits"
if [ -L "$work/link.logits" ]; then ok "--logits keeps the symbolic link"; else no "--logits keeps the symbolic link"; fi
same_logits "--logits writes through the link" "$work/a.logits" "$work/ro/x.logits" 0
t "--print-ids" "$work/a" --ids "$IDS" -n 5 --temp 0 --print-ids; has "--print-ids prints 5 ids" "^[0-9]+( [0-9]+){4}$" "$work/out"
cp "$work/out" "$work/greedy"
t "--top-k 1 is greedy" "$work/a" --ids "$IDS" -n 5 --temp 0.7 --top-k 1 --print-ids
if cmp -s "$work/out" "$work/greedy"; then ok "--top-k 1 = --temp 0"; else no "--top-k 1 = --temp 0"; fi
t "--seed 7" "$work/a" --ids "$IDS" -n 12 --temp 1.0 --seed 7 --print-ids; cp "$work/out" "$work/s7"
t "--seed 7 again" "$work/a" --ids "$IDS" -n 12 --temp 1.0 --seed 7 --print-ids
if cmp -s "$work/out" "$work/s7"; then ok "--seed repeats"; else no "--seed repeats"; fi
t "--top-p --min-p --repeat-penalty" "$work/a" --ids "$IDS" -n 8 --temp 0.9 --top-p 0.5 --min-p 0.1 --repeat-penalty 1.3 --repeat-last-n 16 --seed 3 --print-ids
has "sampled 8 ids" "^[0-9]+( [0-9]+){7}$" "$work/out"
t "-n 0" "$work/a" --ids "$IDS" -n 0 --print-ids; has "-n 0 prints no ids" "^$" "$work/out"
t "--stats" "$work/a" --ids "$IDS" -n 4 --temp 0 --print-ids --stats; has "--stats prefill" "^prefill: 40 tokens" "$work/err"; has "--stats decode" "^decode: +3 tokens" "$work/err"
if "$work/a" --ids "$IDS" -n 4 --ctx 16 >"$work/out" 2>"$work/err"; then no "--ctx 16 refuses 40 ids"; else has "--ctx 16 refuses 40 ids" "more than the context of 16" "$work/err"; fi
# the context's boundary: 40 ids with --ctx C leave C - 40 + 1 tokens (the last
# position's logits give one more, printed but not fed back), the same ones an
# unbounded run gives first
t "-n 10 unbounded" "$work/a" --ids "$IDS" -n 10 --temp 0 --print-ids; cp "$work/out" "$work/n10"
t "--ctx 42 stops at the end" "$work/a" --ids "$IDS" -n 10 --temp 0 --ctx 42 --print-ids; has "context full after 3" "^[0-9]+ [0-9]+ [0-9]+$" "$work/out"
has "--ctx 42: context full" "context of 42 tokens is full" "$work/err"
if [ "$(cut -d' ' -f1-3 "$work/n10")" = "$(cat "$work/out")" ]; then ok "--ctx 42: the unbounded run's first 3 ids"; else no "--ctx 42: the unbounded run's first 3 ids"; fi
t "--ctx 42 -n 3 fits" "$work/a" --ids "$IDS" -n 3 --temp 0 --ctx 42 --print-ids; has "--ctx 42 -n 3: 3 ids" "^[0-9]+ [0-9]+ [0-9]+$" "$work/out"
if [ -s "$work/err" ]; then no "--ctx 42 -n 3: no context note"; else ok "--ctx 42 -n 3: no context note"; fi
t "--ctx 42 -n -1" "$work/a" --ids "$IDS" -n -1 --temp 0 --ignore-eos --ctx 42 --print-ids; has "--ctx 42 -n -1: 3 ids" "^[0-9]+ [0-9]+ [0-9]+$" "$work/out"
if "$work/a" --ids "$IDS" -n 1 --ctx 39 >"$work/out" 2>"$work/err"; then no "--ctx 39 refuses 40 ids"; else has "--ctx 39 refuses 40 ids" "prompt has 40 tokens, more than the context of 39" "$work/err"; fi
# the weight file's checksums: start-up checks the header and table, --verify every byte
t "OUT --verify" "$work/a" --verify; has "--verify says ok" "a.vnw: ok \([0-9]+ tensors, [0-9]+ bytes checked\)$" "$work/out"
t "OUT --verify --weights" "$work/a" --verify --weights "$work/a.vnw"
t "venusc verify OUT" ./venusc verify "$work/a"; has "venusc verify says ok" "a.vnw: ok \([0-9]+ tensors" "$work/out"
t "venusc verify OUT.vnw" ./venusc verify "$work/a.vnw"
./venusc --help >"$work/out" 2>&1; has "venusc --help lists verify" "^  verify OUT " "$work/out"
"$work/a" --help >"$work/out" 2>&1; has "OUT --help lists --verify" "--verify " "$work/out"
# a prompt that fills the context exactly: its last logits give one token, then the context is full
t "prompt = --ctx" "$work/a" --ids "$IDS" -n 10 --temp 0 --ctx 40 --print-ids; has "prompt = --ctx: one id" "^[0-9]+$" "$work/out"
if [ "$(cut -d' ' -f1 "$work/n10")" = "$(cat "$work/out")" ]; then ok "prompt = --ctx: the unbounded run's first id"; else no "prompt = --ctx: the unbounded run's first id"; fi
has "prompt = --ctx: context full" "context of 40 tokens is full" "$work/err"
t "--logits at --ctx = prompt" "$work/a" --ids "$IDS" --logits "$work/c40.logits" --ctx 40
same_logits "--logits at --ctx = prompt" "$work/a.logits" "$work/c40.logits" 0
# the demo model's text interface
./venusc compile examples/tiny-kjv -o "$work/kjv" || exit 1
t "-p" "$work/kjv" -p "And God said" -n 8 --temp 0; has "-p echoes the prompt" "^And God said unto you" "$work/out"
printf 'And God said' > "$work/prompt.txt"
t "-f" "$work/kjv" -f "$work/prompt.txt" -n 8 --temp 0; has "-f reads the prompt" "^And God said unto you" "$work/out"
t "--ignore-eos" "$work/kjv" -p "And" -n 4 --temp 0 --ignore-eos
t "--perplexity --chunks" "$work/kjv" --perplexity examples/tiny-kjv/kjv-val.txt --ctx 64 --chunks 2; has "--perplexity prints" "^perplexity: [0-9.]+$" "$work/out"
t "tokenize" ./venusc tokenize examples/tiny-kjv -- "In the beginning"; has "tokenize ids" "^1134 259 2034$" "$work/out"
t "detokenize" ./venusc detokenize examples/tiny-kjv -- 1134,259,2034; has "detokenize text" "^In the beginning$" "$work/out"
# -n past the context with a text prompt: it stops at the context and says so
t "-p -n past --ctx" "$work/kjv" -p "And God said" -n 100 --ctx 24 --ignore-eos; has "-p -n past --ctx: context full" "context of 24 tokens is full" "$work/err"
# random flags (tests/cli/stress.py; under the sanitizers in make test-sanitize;
# make test-stress: 1000 runs under ASan): each run ends by itself, 0 or a message
if python3 tests/cli/stress.py "$work/kjv" "${STRESS_RUNS:-100}" > "$work/stress" 2>&1; then ok "$(tail -1 "$work/stress")"
else no "stress: $(tail -1 "$work/stress")"; head -20 "$work/stress" | sed 's/^/      /'; fi
# --chat: the model's own chat template, evaluated by venus
# (tests/fixtures/chat: the chat_template of three tokenizer_config.json files)
for f in qwen3:chatml llama3:llama3 gemma3:gemma; do
  t=${f%%:*}; want=${f#*:}
  d="$work/chat_$t"; mkdir -p "$d"
  cp examples/tiny-kjv/config.json examples/tiny-kjv/model.safetensors examples/tiny-kjv/tokenizer.json "$d/"
  # the demo tokenizer's own config (its BOS) with the real model's chat template
  python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c.update(json.load(open(sys.argv[2]))); json.dump(c, open(sys.argv[3], 'w'))" \
    examples/tiny-kjv/tokenizer_config.json tests/fixtures/chat/$t.json "$d/tokenizer_config.json"
  ./venusc inspect "$d" >"$work/out" 2>&1; has "inspect: the $t template is evaluated" "^chat: +the model's template \([0-9]+ bytes, evaluated by venus\)$" "$work/out"
  ./venusc compile "$d" -o "$d/m" >/dev/null 2>&1 || no "compile with the $t chat template"
  t "--chat --print-prompt ($t)" "$d/m" --chat -p " Hello " --system "Be brief." --print-prompt
  python3 - "$work/out" "$want" <<'PY' && ok "--chat prompt in the $want format" || no "--chat prompt in the $want format"
import sys
got = open(sys.argv[1]).read().rsplit("\n", 2)[0]   # the text, without the ids line
bos = "<|endoftext|>"  # the demo tokenizer's BOS
want = {
  "chatml": "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n Hello <|im_end|>\n<|im_start|>assistant\n",
  "llama3": bos + "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
  "gemma": bos + "<start_of_turn>user\nBe brief.\n\nHello<end_of_turn>\n<start_of_turn>model\n",
}[sys.argv[2]]
if got != want:
    print("      got  %r\n      want %r" % (got, want))
    sys.exit(1)
PY
done
t "--chat -p generates a reply" "$work/chat_qwen3/m" --chat -p "And God said" -n 8 --temp 0
# the second turn reads what the template renders for the whole conversation
# (the first reply as its text): the same greedy reply as a plain run over the
# ids of that text (venusc chat-template, then venusc tokenize)
for t in qwen3 llama3 gemma3; do
  d="$work/chat_$t"
  printf 'And God said\nAnd Adam\n' | "$d/m" --chat -n 6 --temp 0 --system "Be brief." >"$work/turns" 2>"$work/err"
  python3 - "$work/turns" "$work/conv.json" <<'PY'
import json, sys
r = open(sys.argv[1]).read().split("\n")
json.dump([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "And God said"},
           {"role": "assistant", "content": r[0]}, {"role": "user", "content": "And Adam"}], open(sys.argv[2], "w"))
PY
  ./venusc chat-template "$d" --messages "$work/conv.json" --add-generation-prompt >"$work/prompt2" 2>"$work/err"
  ids=$(./venusc tokenize "$d" --file "$work/prompt2" | tr ' ' ,)
  want=$("$d/m" --ids "$ids" -n 6 --temp 0 --print-ids 2>"$work/err" | tr ' ' ,)
  want=$(./venusc detokenize "$d" -- "$want")
  if [ -n "$want" ] && [ "$(sed -n 2p "$work/turns")" = "$want" ]; then ok "--chat turn 2 reads the template's rendering ($t)"
  else no "--chat turn 2 reads the template's rendering ($t): got '$(sed -n 2p "$work/turns")', want '$want'"; fi
done
# the conversation on a terminal (a pseudo-terminal, keys as a person types them)
if python3 tests/cli/chat_pty.py "$work/chat_qwen3/m" >"$work/pty" 2>&1; then ok "chat on a terminal"; else no "chat on a terminal"; fi
sed 's/^/      /' "$work/pty"
# venusc compile --line-editing: libedit's editing and history on a terminal, the same chat otherwise
if ./venusc compile "$work/chat_qwen3" -o "$work/chat_qwen3/me" --line-editing >/dev/null 2>"$work/err"; then
  if python3 tests/cli/chat_pty.py "$work/chat_qwen3/me" --line-editing >"$work/pty" 2>&1; then ok "chat on a terminal with --line-editing"
  else no "chat on a terminal with --line-editing"; fi
  sed 's/^/      /' "$work/pty"
else no "compile --line-editing"; fi
if ./venusc compile "$work/chat_qwen3" -o "$work/x" --line-editing --target aarch64 >"$work/out" 2>"$work/err"; then no "--line-editing refuses a cross target"
else has "--line-editing refuses a cross target" "^venusc: --line-editing: libedit is linked for host targets only \(aarch64 is not one\)" "$work/err"; fi
if ./venusc compile "$work/chat_qwen3" -o "$work/ldir" --lib --line-editing >"$work/out" 2>"$work/err"; then no "--lib --line-editing refused"
else has "--lib --line-editing refused" "^venusc: --lib and --line-editing: line editing is the chat's, a binary's" "$work/err"; fi
printf 'And God said\n' | "$work/chat_qwen3/m" --chat --print-prompt >"$work/out" 2>"$work/err"
has "--print-prompt shows the turn read from stdin" "^<\|im_start\|>user$" "$work/out"
has "--print-prompt: the stdin text in the turn" "^And God said<\|im_end\|>$" "$work/out"
t "--no-thinking" "$work/chat_qwen3/m" --chat -p "Hello" --no-thinking --print-prompt
python3 - "$work/out" <<'PY' && ok "--no-thinking: the template's empty thinking block" || no "--no-thinking: the template's empty thinking block"
import sys
got = open(sys.argv[1]).read().rsplit("\n", 2)[0]
want = "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
sys.exit(0 if got == want else "      got %r" % got)
PY
if "$work/chat_qwen3/m" -p x --no-thinking >"$work/out" 2>"$work/err"; then no "--no-thinking without --chat refused"
else has "--no-thinking without --chat refused" "^m: --no-thinking goes with --chat$" "$work/err"; fi
printf '\n\nAnd God said\n' | "$work/chat_qwen3/m" --chat -n 4 --temp 0 >"$work/out" 2>"$work/err" && ok "--chat skips empty lines" || no "--chat skips empty lines"
if [ "$(grep -c . "$work/out")" -eq 1 ]; then ok "empty lines send no turn"; else no "empty lines send no turn"; fi
# a template that refuses a system turn: the binary says so in the template's words;
# one venus cannot evaluate: venusc warns naming the construct and where, and
# --chat uses the format it resembles
for t in nosys bad; do
  d="$work/chat_$t"; mkdir -p "$d"
  cp examples/tiny-kjv/config.json examples/tiny-kjv/model.safetensors examples/tiny-kjv/tokenizer.json "$d/"
done
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['chat_template']=json.load(open(sys.argv[2]))['chat_template']; json.dump(c, open(sys.argv[3], 'w'))" \
  examples/tiny-kjv/tokenizer_config.json tests/fixtures/chat/turns_nosystem.json "$work/chat_nosys/tokenizer_config.json"
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['chat_template']='{% for m in messages %}<|im_start|>{{ m.role }}\\n{{ m.content | wordwrap(5) }}<|im_end|>\\n{% endfor %}'; json.dump(c, open(sys.argv[2], 'w'))" \
  examples/tiny-kjv/tokenizer_config.json "$work/chat_bad/tokenizer_config.json"
./venusc compile "$work/chat_nosys" -o "$work/chat_nosys/m" 2>"$work/err" || no "compile with a template that takes no system turn"
has "compile notes the template takes no system message" "note: .*takes no system message \(line 1, column [0-9]+: the template refuses this conversation: System role not supported\)" "$work/err"
t "--chat without --system (a template without a system role)" "$work/chat_nosys/m" --chat -p Hello --print-prompt
if "$work/chat_nosys/m" --chat -p Hello --system "Be brief." >"$work/out" 2>"$work/err"; then no "--system refused by the template"
else has "--system refused in the template's words" "^m: cannot build the chat prompt: line 1, column [0-9]+: the template refuses this conversation: System role not supported$" "$work/err"; fi
./venusc compile "$work/chat_bad" -o "$work/chat_bad/m" 2>"$work/err" || no "compile with a template venus cannot evaluate"
has "compile warns naming the construct" "warning: .*cannot be evaluated \(line 2, column 16: the filter 'wordwrap' is not supported\); --chat uses the format it resembles" "$work/err"
t "--chat falls back to the format the template resembles" "$work/chat_bad/m" --chat -p Hello --print-prompt
has "--chat fallback prompt" "^<\|im_start\|>assistant$" "$work/out"
if "$work/kjv" --chat -p hi >"$work/out" 2>"$work/err"; then no "--chat without a template refuses"; else has "--chat without a template names --chat-format" "no chat template; give --chat-format" "$work/err"; fi
t "--chat-format mistral" "$work/kjv" --chat --chat-format mistral -p "Hello" --system "Be brief." --print-prompt
has "--chat-format mistral prompt" "^<\|endoftext\|>\[INST\] Be brief\.$" "$work/out"
printf 'And God said\nAnd Adam\n' | "$work/chat_qwen3/m" --chat -n 4 --temp 0 >"$work/out" 2>"$work/err" && ok "--chat reads turns from stdin" || no "--chat reads turns from stdin"
has "--chat answered two turns" "." "$work/out"
# ---- venusc's own interface: per-command help, -o, TMPDIR, CC, notices ----
for c in compile inspect targets specs tokenize detokenize; do
  t "venusc $c --help" ./venusc $c --help; has "$c --help prints its usage" "^usage: venusc $c" "$work/out"
done
t "venusc inspect -h" ./venusc inspect -h; has "inspect -h prints its usage" "^usage: venusc inspect" "$work/out"
./venusc --help >"$work/out" 2>&1; has "venusc --help mentions GGUF" "GGUF" "$work/out"
mkdir -p "$work/odir"
if ./venusc compile $M -o "$work/odir" >"$work/out" 2>"$work/err"; then no "-o DIR is refused"
else has "-o DIR is refused up front" "-o .*odir: is a directory" "$work/err"; fi
if [ -e "$work/odir.vnw" ]; then no "-o DIR leaves no DIR.vnw"; else ok "-o DIR leaves no DIR.vnw"; fi
mkfifo "$work/fifo"
if ./venusc compile $M -o "$work/fifo" >"$work/out" 2>"$work/err"; then no "-o over a pipe is refused"
else has "-o over a pipe is refused up front" "fifo: exists and is not a regular file" "$work/err"; fi
if [ -p "$work/fifo" ] && [ ! -e "$work/fifo.vnw" ]; then ok "-o over a pipe leaves it and writes nothing"; else no "-o over a pipe leaves it and writes nothing"; fi
if ./venusc compile $M -o "$work/nodir/x" >"$work/out" 2>"$work/err"; then no "-o in a missing directory fails"
else has "-o in a missing directory names it" "no such directory '.*nodir'" "$work/err"; fi
# CC (host targets) and TMPDIR: a compiler wrapper records how it was run
mkdir -p "$work/tmp"
printf '#!/bin/sh\necho "$@" > "%s/cc.args"\nexec cc "$@"\n' "$work" > "$work/mycc"; chmod +x "$work/mycc"
t "compile with CC set" env CC="$work/mycc" TMPDIR="$work/tmp" ./venusc compile $M -o "$work/cc1"
has "CC is the compiler of a host target" "model\.c" "$work/cc.args"
has "the work tree is under TMPDIR" "$work/tmp/venusc\.[0-9]+\." "$work/cc.args"
if [ -z "$(ls -A "$work/tmp")" ]; then ok "TMPDIR is left empty"; else no "TMPDIR is left empty: $(ls "$work/tmp")"; fi
t "binary built with CC runs" "$work/cc1" --ids "$IDS" --logits "$work/cc1.logits"
same_logits "CC-built binary = default" "$work/a.logits" "$work/cc1.logits" 1e-4
if command -v clang >/dev/null 2>&1; then
  t "compile with CC=clang" env CC=clang ./venusc compile $M -o "$work/clang"
  if grep -qa "clang version" "$work/clang"; then ok "CC=clang built the binary"; else no "CC=clang built the binary"; fi
else echo "skip  CC=clang (no clang installed)"; fi
# --cc: the compiler for any target, before CC
rm -f "$work/cc.args"
t "compile --cc" env CC=false ./venusc compile $M -o "$work/cc2" --cc "$work/mycc"
has "--cc is the compiler (over CC)" "model\.c" "$work/cc.args"
t "binary built with --cc runs" "$work/cc2" --ids "$IDS" --logits "$work/cc2.logits"
if ./venusc compile $M -o "$work/cc3" --cc "$work/no-such-cc" >"$work/out" 2>"$work/err"; then no "a missing --cc fails"
else has "a missing --cc is named" "compiler '.*no-such-cc' is not installed" "$work/err"; fi
if env CC="$work/no-such-cc" TMPDIR="$work/tmp" ./venusc compile $M -o "$work/nocc" >"$work/out" 2>"$work/err"; then no "a missing CC fails"
else has "a missing CC is named" "compiler '.*no-such-cc' is not installed" "$work/err"; fi
if ls "$work"/nocc* >/dev/null 2>&1 || [ -n "$(ls -A "$work/tmp")" ]; then no "a failed compile leaves no files"; else ok "a failed compile leaves no files"; fi
if env TMPDIR="$work/no-such-tmp" ./venusc compile $M -o "$work/notmp" >"$work/out" 2>"$work/err"; then no "a missing TMPDIR fails"
else has "a missing TMPDIR is named" "temporary directory in .*no-such-tmp \(TMPDIR\)" "$work/err"; fi
# a model without a tokenizer: one notice; with one: none
./venusc compile $M -o "$work/nt" >"$work/out" 2>"$work/err"
has "no tokenizer: a notice" "^venusc: note: .* has no tokenizer .*--ids" "$work/err"
if [ "$(grep -c . "$work/err")" -eq 1 ]; then ok "no tokenizer: one line"; else no "no tokenizer: one line"; fi
./venusc compile examples/tiny-kjv -o "$work/kjv2" >"$work/out" 2>"$work/err"
if grep -q "no tokenizer" "$work/err"; then no "a tokenizer: no notice"; else ok "a tokenizer: no notice"; fi
. tests/cli/defaults.sh
# the object cache: a first compile fills it, a second links from it alone; VENUS_NO_CACHE=1 builds without it
mkdir -p "$work/xdg"
t "compile fills the object cache" env XDG_CACHE_HOME="$work/xdg" ./venusc compile $M -o "$work/c1"
n1=$(ls "$work/xdg/venus/obj" 2>/dev/null | grep -c '\.o$')
if [ "$n1" -gt 0 ] && [ -z "$(ls "$work/xdg/venus/obj" | grep -v '\.o$')" ]; then ok "object cache holds objects only ($n1)"; else no "object cache holds objects only ($n1)"; fi
t "compile from the object cache" env XDG_CACHE_HOME="$work/xdg" ./venusc compile $M -o "$work/c2"
n2=$(ls "$work/xdg/venus/obj" | grep -c '\.o$')
if [ "$n2" = "$n1" ]; then ok "a second compile adds no object"; else no "a second compile adds no object ($n1 -> $n2)"; fi
t "compile with VENUS_NO_CACHE=1" env XDG_CACHE_HOME="$work/xdg2" VENUS_NO_CACHE=1 ./venusc compile $M -o "$work/c3"
if [ ! -e "$work/xdg2/venus" ]; then ok "VENUS_NO_CACHE=1 leaves no cache"; else no "VENUS_NO_CACHE=1 leaves no cache"; fi
"$work/c2" --ids "$IDS" -n 4 --temp 0 --print-ids > "$work/o2" 2>/dev/null
"$work/c3" --ids "$IDS" -n 4 --temp 0 --print-ids > "$work/o3" 2>/dev/null
if [ -s "$work/o2" ] && cmp -s "$work/o2" "$work/o3"; then ok "cached and uncached binaries agree"; else no "cached and uncached binaries agree"; fi
. tests/cli/flags.sh
. tests/cli/embed.sh
. tests/cli/image.sh
. tests/cli/progress.sh
. tests/cli/s2s.sh
# make install / uninstall: the binary, specs, docs, man pages, bash completion
make -s install PREFIX=/usr DESTDIR="$work/inst" >/dev/null 2>"$work/err" || no "make install"
for f in bin/venusc share/man/man1/venusc.1 share/man/man1/venus-model.1 share/bash-completion/completions/venusc share/venus/archspecs/llama.lua; do
  if [ -f "$work/inst/usr/$f" ]; then ok "make install: $f"; else no "make install: $f"; fi
done
if command -v groff >/dev/null 2>&1; then
  if groff -man -Tutf8 -ww "$work/inst/usr/share/man/man1/venusc.1" 2>&1 >/dev/null | grep -q .; then no "venusc.1 renders without warnings"; else ok "venusc.1 renders without warnings"; fi
fi
comp=$(bash -c '. "$1"; COMP_WORDS=(venusc comp); COMP_CWORD=1; _venusc; echo "${COMPREPLY[*]}"' _ "$work/inst/usr/share/bash-completion/completions/venusc")
if [ "$comp" = compile ]; then ok "bash completion: comp -> compile"; else no "bash completion: comp -> compile (got '$comp')"; fi
make -s uninstall PREFIX=/usr DESTDIR="$work/inst" >/dev/null 2>&1
if [ -z "$(find "$work/inst" -type f)" ]; then ok "make uninstall removes every file"; else no "make uninstall removes every file: $(find "$work/inst" -type f | head -3)"; fi
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
