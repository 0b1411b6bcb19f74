# tests/cli/s2s.sh: the encoder-decoder binary's inputs (sourced by
# tests/cli/run.sh: uses its t/ok/no/has/same_logits and $work).
# The log-mel front end (runtime/mel.c) against WhisperFeatureExtractor's
# features of a 1 s 440 Hz tone (tests/fixtures/audio), at most 1e-4 off
# (features span about [-1.5, 1.5]; float32 STFT rounding in the reference).
A=tests/fixtures/audio
if ${CC:-cc} -O2 -Iruntime tests/cli/mel_check.c runtime/mel.c -lm -o "$work/mel_check" 2>"$work/err"; then
  t "log-mel features of tone440.wav within 1e-4 of WhisperFeatureExtractor's" "$work/mel_check" $A/tone440.wav $A/tone440_features.f32 80 1e-4
  has "mel_check reports the error" "max \|error\|" "$work/out"
else no "mel_check builds"; fi
# --audio and --features agree on a model at the real sizes (80 bins, 3000 frames)
python3 tests/cli/s2s_model.py "$work/speech" && ./venusc compile "$work/speech" -o "$work/sp" >/dev/null 2>"$work/err" || no "compile a tiny speech model"
t "--audio FILE.wav --logits" "$work/sp" --audio $A/tone440.wav --decoder-ids 1,5,9 --logits "$work/sa.f32"
t "--features FILE.f32 --logits" "$work/sp" --features $A/tone440_features.f32 --decoder-ids 1,5,9 --logits "$work/sf.f32"
same_logits "--audio = --features of the extractor's features" "$work/sa.f32" "$work/sf.f32" 1e-3
t "--audio generates" "$work/sp" --audio $A/tone440.wav -n 4 --temp 0 --print-ids
has "--audio: 4 ids" "^[0-9]+( [0-9]+){3}$" "$work/out"
# the decoder prompt defaults to the decoder start token
T5=tests/fixtures/seq2seq/public/t5
T5IDS=$(python3 -c "import json; print(','.join(map(str, json.load(open('$T5/reference.json'))['input_ids'])))")
./venusc compile $T5 -o "$work/t5" >/dev/null 2>&1 || no "compile the t5 fixture"
t "--ids without --decoder-ids" "$work/t5" --ids "$T5IDS" -n 4 --temp 0 --print-ids; cp "$work/out" "$work/t5a"
t "--decoder-ids 0 (the start token)" "$work/t5" --ids "$T5IDS" --decoder-ids 0 -n 4 --temp 0 --print-ids
if cmp -s "$work/out" "$work/t5a"; then ok "the decoder prompt defaults to decoder_start_token_id"; else no "the decoder prompt defaults to decoder_start_token_id"; fi
t "encoder-decoder --help" "$work/t5" --help
has "--help names --decoder-ids, --features, --audio" "--audio FILE.wav" "$work/out"
has "--help: --features" "--features FILE.f32" "$work/out"
t "inspect --json of a speech encoder-decoder" ./venusc inspect tests/fixtures/seq2seq/public/whisper --json
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); e=d['encoder']; assert e == {'rows': 32, 'mels': 16, 'frames_per_row': 2, 'decoder_start': 1}, e" "$work/out"
then ok "inspect --json: the encoder's input (docs/json.md)"; else no "inspect --json: the encoder's input (docs/json.md)"; fi
t "inspect of an encoder-decoder" ./venusc inspect $T5
has "inspect names the encoder's input" "^encoder: +up to 512 ids" "$work/out"
# a tokenizer venus cannot compile (a WordLevel model): an error naming it, or left out with --no-tokenizer
cp -r $T5 "$work/t5u" && echo '{"version": "1.0", "model": {"type": "WordLevel", "vocab": {"<pad>": 0}, "unk_token": "<pad>"}}' > "$work/t5u/tokenizer.json"
if ./venusc compile "$work/t5u" -o "$work/t5u.bin" >"$work/out" 2>"$work/err"; then no "a WordLevel tokenizer.json is refused"
else has "a WordLevel tokenizer.json is refused, naming --no-tokenizer" "t5u/tokenizer.json: unsupported model type 'WordLevel'.*--no-tokenizer" "$work/err"; fi
t "compile --no-tokenizer" ./venusc compile "$work/t5u" -o "$work/t5u.bin" --no-tokenizer
has "--no-tokenizer: a notice" "compiled without .*t5u's tokenizer \(--no-tokenizer\)" "$work/err"
t "the --no-tokenizer binary takes ids" "$work/t5u.bin" --ids "$T5IDS" -n 4 --temp 0 --print-ids
if cmp -s "$work/out" "$work/t5a"; then ok "--no-tokenizer: the same model"; else no "--no-tokenizer: the same model"; fi
