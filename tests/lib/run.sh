#!/bin/sh
# tests/lib/run.sh: venusc compile --lib. The demo model as a library: its
# files, its exported symbols (NAME_* alone, no writable data), the example
# program built with pkg-config printing what the binary prints, the API's
# calls; two models linked into one program; two threads with a context each.
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "lib: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok    $1"; }
no() { fail=$((fail+1)); echo "FAIL  $1"; [ -f "$work/err" ] && sed 's/^/      /' "$work/err" | head -5; }
t() { n=$1; shift; if "$@" >"$work/out" 2>"$work/err"; then ok "$n"; else no "$n (exit $?)"; fi; }
# fails NAME CODE PATTERN COMMAND...: exit status CODE and PATTERN on stderr
fails() {
  n=$1 code=$2 pat=$3; shift 3
  "$@" >"$work/out" 2>"$work/err"; rc=$?
  if [ $rc -eq "$code" ] && grep -qE -- "$pat" "$work/err"; then ok "$n"; else no "$n (exit $rc, want $code and /$pat/)"; fi
}
CC=${CC:-cc}
DEMO=examples/tiny-kjv
FIX=tests/fixtures/hf/llama      # a model without a tokenizer, of other shapes
P="In the beginning"

# ---- the demo model's library ----
t "compile --lib" ./venusc compile $DEMO --lib -o "$work/lib"
for f in libtiny_kjv.a libtiny_kjv.so tiny_kjv.h tiny_kjv.pc tiny_kjv.vnw; do
  if [ -s "$work/lib/$f" ]; then ok "--lib writes $f"; else no "--lib writes $f"; fi
done
ls "$work/lib" > "$work/files"
if [ "$(wc -l < "$work/files")" -eq 5 ]; then ok "--lib writes nothing else"; else no "--lib writes nothing else: $(tr '\n' ' ' < "$work/files")"; fi
# exported: NAME_* alone, from the shared object and from the archive
nm -D --defined-only "$work/lib/libtiny_kjv.so" | awk '{print $3}' > "$work/so.syms"
nm -g --defined-only "$work/lib/libtiny_kjv.a" | awk 'NF == 3 {print $3}' > "$work/a.syms"
for k in so a; do
  if [ -s "$work/$k.syms" ] && ! grep -qv '^tiny_kjv_' "$work/$k.syms"; then ok "the .$k exports tiny_kjv_* only ($(wc -l < "$work/$k.syms") symbols)"
  else no "the .$k exports tiny_kjv_* only: $(grep -v '^tiny_kjv_' "$work/$k.syms" | head -5 | tr '\n' ' ')"; fi
done
grep -q '^tiny_kjv_generate$' "$work/so.syms" && ok "the .so exports tiny_kjv_generate" || no "the .so exports tiny_kjv_generate"
# no writable static data: .data and .bss of the library's object are empty
# (.data.rel.ro is constant data that holds addresses: read-only once loaded)
objdump -h "$work/lib/libtiny_kjv.a" | awk '$2 ~ /^\.(data|bss|tdata|tbss)(\.|$)/ && $2 !~ /^\.data\.rel\.ro/ {print $2, $3}' > "$work/sect"
if [ -s "$work/sect" ] && awk '$2 !~ /^0+$/ {bad = 1} END {exit bad}' "$work/sect"; then
  ok "no writable static data in the library ($(tr '\n' ' ' < "$work/sect"))"
else no "no writable static data in the library: $(tr '\n' ' ' < "$work/sect")"; fi

# the example, built with pkg-config, prints what the binary prints
export PKG_CONFIG_PATH="$work/lib"
t "pkg-config knows tiny_kjv" pkg-config --exists tiny_kjv
W=$(pkg-config --variable=weights tiny_kjv)
t "example builds with pkg-config" sh -c "$CC -Wall -Wextra -Werror examples/lib/generate.c \$(pkg-config --cflags --libs tiny_kjv) -o '$work/generate'"
t "compile the demo binary" ./venusc compile $DEMO -o "$work/tiny-kjv"
"$work/tiny-kjv" -p "$P" -n 48 --temp 0 > "$work/bin.txt" 2>/dev/null
t "example runs (shared)" "$work/generate" "$W" "$P" 48
if cmp -s "$work/out" "$work/bin.txt"; then ok "example's text = the binary's greedy text"; else no "example's text = the binary's greedy text"; diff "$work/out" "$work/bin.txt" | head -5; fi
t "example builds against the archive" $CC examples/lib/generate.c -I"$work/lib" "$work/lib/libtiny_kjv.a" -lm -lpthread -o "$work/generate-static"
t "example runs (static)" "$work/generate-static" "$W" "$P" 48
cmp -s "$work/out" "$work/bin.txt" && ok "static example's text = the binary's" || no "static example's text = the binary's"
fails "example: a missing weight file" 1 "/nonexistent.vnw" "$work/generate" /nonexistent.vnw "$P" 4

# ---- two models in one program (both llama: the same runtime symbol names inside) ----
t "compile --lib --name ma" ./venusc compile $DEMO --lib --name ma -o "$work/ma"
t "compile --lib --name mb" ./venusc compile $FIX --lib --name mb -o "$work/mb"
t "compile the fixture's binary" ./venusc compile $FIX -o "$work/fix"
IDS=$(python3 -c "import json; print(','.join(map(str, json.load(open('$FIX/reference.json'))['input_ids'])))")
t "two models link into one program (archives)" $CC -Wall -Wextra -Werror -I"$work/ma" -I"$work/mb" tests/lib/two.c \
  "$work/ma/libma.a" "$work/mb/libmb.a" -lm -lpthread -o "$work/two"
t "two models run in one program" "$work/two" "$work/ma/ma.vnw" "$P" 24 "$work/mb/mb.vnw" "$IDS" 8
{ "$work/tiny-kjv" -p "$P" -n 24 --temp 0; "$work/fix" --ids "$IDS" -n 8 --temp 0 --print-ids -t 1; } > "$work/two.want" 2>/dev/null
if cmp -s "$work/out" "$work/two.want"; then ok "each model's output = its binary's"; else no "each model's output = its binary's"; diff "$work/out" "$work/two.want" | head -5; fi
t "two models link into one program (shared)" $CC -I"$work/ma" -I"$work/mb" tests/lib/two.c -L"$work/ma" -L"$work/mb" \
  -Wl,-rpath,"$work/ma" -Wl,-rpath,"$work/mb" -lma -lmb -o "$work/two-so"
t "two shared models run" "$work/two-so" "$work/ma/ma.vnw" "$P" 24 "$work/mb/mb.vnw" "$IDS" 8
cmp -s "$work/out" "$work/two.want" && ok "shared: each model's output = its binary's" || no "shared: each model's output = its binary's"

# ---- the API's calls; its logits = the binary's --logits ----
t "calls builds" $CC -Wall -Wextra -Werror -I"$work/ma" tests/lib/calls.c "$work/ma/libma.a" -lm -lpthread -o "$work/calls"
if "$work/calls" "$work/ma/ma.vnw" "$work/calls.f32" > "$work/calls.out" 2>&1; then ok "the API's calls ($(grep -c '^ok' "$work/calls.out") checks)"
else no "the API's calls"; grep -v '^ok' "$work/calls.out" | head -5; fi
CIDS=$(./venusc tokenize $DEMO -- "In the beginning God created the heaven and the earth." | tr ' ' ',')
"$work/tiny-kjv" --ids "$CIDS" --logits "$work/bin.f32" -t 1 2>/dev/null
if cmp -s "$work/calls.f32" "$work/bin.f32"; then ok "eval's logits = the binary's --logits (bytes)"; else no "eval's logits = the binary's --logits"; fi

# ---- one context per thread ----
t "threads builds" $CC -Wall -Wextra -Werror -I"$work/ma" tests/lib/threads.c "$work/ma/libma.a" -lm -lpthread -o "$work/threads"
t "two threads, a context each, agree with sequential runs" "$work/threads" "$work/ma/ma.vnw"

# ---- an encoder's embeddings: the final hidden states against transformers' ----
BERT=tests/fixtures/hf/bert
python3 tests/lib/headless.py $BERT "$work/bert-headless"
t "compile --lib an encoder without its head" ./venusc compile "$work/bert-headless" --lib --name enc -o "$work/enc"
t "embed builds" $CC -Wall -Wextra -Werror -I"$work/enc" tests/lib/embed.c "$work/enc/libenc.a" -lm -lpthread -o "$work/embed"
BIDS=$(python3 -c "import json; print(','.join(map(str, json.load(open('$BERT/reference.json'))['input_ids'])))")
SHAPE=$(python3 -c "import json; print(' '.join(map(str, json.load(open('$BERT/reference.json'))['hidden_shape'])))")
t "embed runs" "$work/embed" "$work/enc/enc.vnw" "$BIDS" "$work/e"
if python3 tests/lib/embed_check.py $BERT/hidden.f32 $SHAPE "$work/e" > "$work/emb.out" 2>&1; then
  ok "embeddings (rows, mean, CLS, normalized) = transformers' final hidden states within 1e-3"
else no "embeddings = transformers' final hidden states"; sed 's/^/      /' "$work/emb.out" | head -5; fi

# ---- a CPU without the target's instructions: NAME_open says so, the program goes on ----
if [ "$(uname -m)" = x86_64 ]; then
  t "compile --lib --target x86-64-avx2" ./venusc compile $FIX --lib --name oc --target x86-64-avx2 -o "$work/oc"
  t "open builds" $CC -Wall -Wextra -Werror -I"$work/oc" tests/lib/open.c "$work/oc/liboc.a" -lm -lpthread -o "$work/open"
  fails "a CPU without AVX2: NAME_ERR_CPU from open, no exit at load" 1 \
    "open: this CPU lacks .* \(8\): this library was compiled for target x86-64-avx2, and this CPU lacks avx2" \
    env VN_CPU_HIDE=avx2 "$work/open" "$work/oc/oc.vnw"
fi

# ---- refusals ----
fails "--lib refuses a cross target" 2 "--lib: libraries are built for host targets only \(aarch64" \
  ./venusc compile $DEMO --lib --target aarch64 -o "$work/x"
[ ! -e "$work/x" ] && ok "a refused --lib leaves no directory" || no "a refused --lib leaves no directory"
: > "$work/afile"
fails "--lib -o FILE" 2 "-o .*afile: exists and is not a directory" ./venusc compile $DEMO --lib -o "$work/afile"
fails "--name must be a C identifier" 2 "--name 9x-y: want a C identifier" ./venusc compile $DEMO --lib --name 9x-y -o "$work/x"
fails "--name without --lib" 2 "--name goes with --lib" ./venusc compile $DEMO --name ab -o "$work/x"
fails "--lib with --server" 2 "--lib and --server" ./venusc compile $DEMO --lib --server -o "$work/x"
fails "--lib: no parent directory" 1 "no such directory" ./venusc compile $DEMO --lib -o "$work/no/such/dir"
fails "a failing compiler: one line" 1 "^venusc: target .*: false failed" env CC=false ./venusc compile $DEMO --lib -o "$work/y"
[ ! -e "$work/y" ] && ok "a failed --lib leaves no directory" || no "a failed --lib leaves no directory: $(ls "$work/y" | tr '\n' ' ')"
mkdir -p "$work/keep"; : > "$work/keep/mine"
CC=false ./venusc compile $DEMO --lib -o "$work/keep" 2>/dev/null
[ "$(ls "$work/keep")" = mine ] && ok "a failed --lib into a directory leaves only what was there" || no "a failed --lib into a directory leaves only what was there: $(ls "$work/keep" | tr '\n' ' ')"
mkdir -p "$work/n/My-Model.v2" && cp $DEMO/* "$work/n/My-Model.v2/"
t "the name from MODEL's directory" ./venusc compile "$work/n/My-Model.v2/" --lib -o "$work/named"
[ -f "$work/named/libmy_model_v2.so" ] && [ -f "$work/named/my_model_v2.h" ] && ok "NAME: lowercased, [^a-z0-9_] as _" \
  || no "NAME: lowercased, [^a-z0-9_] as _: $(ls "$work/named" | tr '\n' ' ')"

echo "lib: $pass passed, $fail failed"
[ $fail -eq 0 ]
