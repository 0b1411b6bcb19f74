# tests/cli/embed.sh: sentence embeddings, OUT --embed (sourced by tests/cli/run.sh:
# $work, t, has, ok, no). The references are transformers' last hidden states
# (tests/fixtures/hf*/bert/hidden.f32), pooled by tests/cli/embed_check.py.
ids_of() { python3 -c "import json,sys; print(','.join(map(str, json.load(open(sys.argv[1]))['input_ids'])))" "$1/reference.json"; }
# echeck NAME CASE FILE FORMAT POOLING NORMALIZE
echeck() { if python3 tests/cli/embed_check.py "$2" "$3" "$4" "$5" "$6" >"$work/ec" 2>&1; then ok "$1"; else no "$1: $(cat "$work/ec")"; fi; }
# same_json NAME A B: two files of JSON arrays, line by line within 1e-6
same_json() {
  if python3 - "$2" "$3" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) and a, "lines %d %d" % (len(a), len(b))
for x, y in zip(a, b):
    assert len(x) == len(y) and max(abs(p - q) for p, q in zip(x, y)) <= 1e-6
PY
  then ok "$1"; else no "$1"; fi
}
# fails NAME CODE PATTERN COMMAND...: exits CODE with PATTERN on stderr
fails() {
  n=$1 c=$2 p=$3; shift 3
  "$@" >"$work/out" 2>"$work/err"; r=$?
  if [ "$r" = "$c" ] && grep -qE -- "$p" "$work/err"; then ok "$n"; else no "$n (exit $r, want $c and /$p/)"; fi
}

B=tests/fixtures/hf/bert; BIDS=$(ids_of $B)
t "embed: compile bert" ./venusc compile $B -o "$work/bert"
t "embed: --embed --ids" "$work/bert" --embed --ids "$BIDS"; cp "$work/out" "$work/bert.json"
echeck "embed: mean of the last hidden state (hf/bert)" $B "$work/bert.json" json mean 0
t "embed: f32 to stdout" "$work/bert" --embed --ids "$BIDS" --embed-format f32; echeck "embed: f32 on stdout" $B "$work/out" f32 mean 0
t "embed: --embed-out" "$work/bert" --embed --ids "$BIDS" --embed-format=f32 --embed-out "$work/e.f32"
echeck "embed: --embed-out FILE" $B "$work/e.f32" f32 mean 0
if [ -z "$(ls "$work" | grep 'e.f32.tmp')" ]; then ok "embed: --embed-out leaves no temporary file"; else no "embed: --embed-out leaves no temporary file"; fi
t "embed: --pooling cls --normalize" "$work/bert" --embed --ids "$BIDS" --pooling cls --normalize; echeck "embed: cls, normalized" $B "$work/out" json cls 1
t "embed: --pooling last" "$work/bert" --embed --ids "$BIDS" --pooling=last; echeck "embed: last token" $B "$work/out" json last 0
B2=tests/fixtures/hf2/bert
t "embed: compile hf2/bert" ./venusc compile $B2 -o "$work/bert2"
t "embed: hf2/bert" "$work/bert2" --embed --ids "$(ids_of $B2)"; echeck "embed: mean of the last hidden state (hf2/bert)" $B2 "$work/out" json mean 0
t "embed: compile the GGUF bert (no MLM head)" ./venusc compile tests/fixtures/gguf-conv/bert.gguf -o "$work/bertg"
t "embed: GGUF bert" "$work/bertg" --embed --ids "$BIDS"; echeck "embed: GGUF bert = transformers" $B "$work/out" json mean 0
t "embed: GGUF bert --normalize" "$work/bertg" --embed --ids "$BIDS" --normalize; echeck "embed: GGUF bert normalized" $B "$work/out" json mean 1

# a sentence-transformers directory: modules.json + 1_Pooling/config.json (+ Normalize) set the defaults
st="$work/st"; mkdir -p "$st/1_Pooling" && cp $B/config.json $B/model.safetensors "$st/"
cat >"$st/modules.json" <<'JS'
[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
 {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
JS
echo '{"word_embedding_dimension": 64, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false, "pooling_mode_max_tokens": false, "pooling_mode_lasttoken": false}' >"$st/1_Pooling/config.json"
python3 tests/cli/embed_tok.py "$st/tokenizer.json"
t "embed: compile a sentence-transformers model" ./venusc compile "$st" -o "$work/stm"
t "embed: inspect names the pooling" ./venusc inspect "$st"; has "embed: inspect: cls, normalized, from 1_Pooling" "^embeddings: .*cls.*normalized.*1_Pooling/config.json" "$work/out"
t "embed: --help states the pooling" "$work/stm" --help; has "embed: --help: default cls" "--pooling MODE .*default cls" "$work/out"
t "embed: CLS and Normalize from the config" "$work/stm" --embed --ids "$BIDS"; echeck "embed: the config's pooling (cls, normalized)" $B "$work/out" json cls 1
t "embed: flags override the config" "$work/stm" --embed --ids "$BIDS" --pooling mean --no-normalize; echeck "embed: --pooling mean --no-normalize" $B "$work/out" json mean 0
# text: -p is the tokenizer's ids with its special tokens; -f one embedding per line
t "embed: -p TEXT" "$work/stm" --embed -p "And God said"; cp "$work/out" "$work/p.json"
t "embed: --ids of -p's tokens" "$work/stm" --embed --ids "$(./venusc tokenize "$st" -- "And God said" | sed 's/^/2 /; s/$/ 3/' | tr ' ' ',')"
same_json "embed: -p = its ids wrapped in [CLS] [SEP]" "$work/p.json" "$work/out"
printf 'In the beginning\r\nAnd God said\nlet there be light' >"$work/lines.txt"
t "embed: -f FILE" "$work/stm" --embed -f "$work/lines.txt"
if [ "$(grep -c '^\[' "$work/out")" = 3 ]; then ok "embed: -f: one array per line"; else no "embed: -f: one array per line"; fi
sed -n 2p "$work/out" >"$work/l2.json"; same_json "embed: -f line 2 = -p of that line" "$work/p.json" "$work/l2.json"
t "embed: -f FILE, f32" "$work/stm" --embed -f "$work/lines.txt" --embed-format f32 --embed-out "$work/lines.f32"
if [ "$(wc -c <"$work/lines.f32")" = $((3 * 64 * 4)) ]; then ok "embed: -f f32 is [lines][hidden]"; else no "embed: -f f32 is [lines][hidden]"; fi
t "embed: -f - (stdin)" sh -c "printf 'And God said\n' | '$work/stm' --embed -f -"; same_json "embed: stdin line = -p" "$work/p.json" "$work/out"

# what is refused
: >"$work/empty.txt"
fails "embed: an empty -f file" 2 "empty.txt: no lines to embed" "$work/stm" --embed -f "$work/empty.txt"
fails "embed: a decoder has no embeddings" 2 "--embed: this model gives no embeddings" "$work/a" --embed --ids 1,2,3
fails "embed: --pooling max" 2 "--pooling: 'max' is not mean, cls or last" "$work/bert" --embed --ids 1,2 --pooling max
fails "embed: --embed-format xml" 2 "--embed-format: 'xml' is not json or f32" "$work/bert" --embed --ids 1,2 --embed-format xml
fails "embed: --pooling without --embed" 2 "go with --embed" "$work/bert" --ids 1,2 --pooling cls
fails "embed: --embed with --logits" 2 "--embed takes" "$work/bert" --embed --ids 1,2 --logits "$work/x"
fails "embed: --embed-out in a missing folder" 1 "nodir/e.f32: cannot write the embeddings" "$work/bert" --embed --ids 1,2 --embed-out "$work/nodir/e.f32"
fails "embed: an encoder without --embed names it" 2 "embeddings \(--embed\)" "$work/bert" --ids 1,2
fails "embed: too many ids for one step" 2 "sees its whole input in one step" "$work/bert" --embed --ids "$(python3 -c "print(','.join(['5'] * 600))")"
bad="$work/stbad"; mkdir -p "$bad" && cp $B/config.json $B/model.safetensors "$bad/" && echo '[{"type": ' >"$bad/modules.json"
fails "embed: a broken modules.json" 1 "stbad/modules.json:.*not valid JSON" ./venusc compile "$bad" -o "$work/stbad.bin"
if [ ! -e "$work/stbad.bin" ]; then ok "embed: ... leaves no binary"; else no "embed: ... leaves no binary"; fi
mx="$work/stmax"; mkdir -p "$mx/1_Pooling" && cp "$st/modules.json" $B/config.json $B/model.safetensors "$mx/"
echo '{"pooling_mode_max_tokens": true}' >"$mx/1_Pooling/config.json"
t "embed: max pooling compiles" ./venusc compile "$mx" -o "$work/stmax.bin"
has "embed: ... with a warning naming the file" "warning: .*stmax/1_Pooling/config.json: pooling_mode_max_tokens is not a pooling" "$work/err"
# every other encoder fixture: --embed is the mean of its last hidden state
for c in tests/fixtures/hf3/* tests/fixtures/hf4/*; do
  grep -q '"mean_pooled"' "$c/reference.json" 2>/dev/null || continue
  cn=${c#tests/fixtures/}; f=$(echo "$cn" | tr / _)
  t "embed: compile $cn" ./venusc compile "$c" -o "$work/enc_$f"
  t "embed: $cn" "$work/enc_$f" --embed --ids "$(ids_of "$c")"; echeck "embed: mean of the last hidden state ($cn)" "$c" "$work/out" json mean 0
done
