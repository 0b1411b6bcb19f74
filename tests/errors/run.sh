#!/bin/sh
# tests/errors/run.sh: bad input gets one clear line naming the file and the
# problem, a non-zero exit (no crash), and no output file.
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "errors: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
good=tests/fixtures/hf/llama
python3 tests/errors/make_cases.py "$good" "$work/cases" || exit 1
pass=0; fail=0

# expect NAME WANT_RC PATTERN -- COMMAND...: exit status WANT_RC, exactly one
# stderr line matching PATTERN, and no file at $work/out or $work/out.vnw
expect() {
  name=$1; want=$2; pat=$3; shift 4
  rm -f "$work/out" "$work/out.vnw"
  "$@" >"$work/stdout" 2>"$work/stderr"; rc=$?
  lines=$(grep -c . "$work/stderr")
  msg=$(head -1 "$work/stderr")
  why=""
  [ "$rc" -eq "$want" ] || why="exit $rc, want $want"
  [ -z "$why" ] && [ "$lines" -ne 1 ] && why="$lines stderr lines, want 1"
  [ -z "$why" ] && ! grep -qE -- "$pat" "$work/stderr" && why="message does not match /$pat/"
  [ -z "$why" ] && { [ -e "$work/out" ] || [ -e "$work/out.vnw" ]; } && why="left an output file"
  if [ -z "$why" ]; then pass=$((pass+1)); echo "ok    $name: $msg"
  else fail=$((fail+1)); echo "FAIL  $name: $why"; sed 's/^/      /' "$work/stderr" | head -5; fi
}

C="./venusc compile"
O="-o $work/out"
W=$work/cases
expect bad_config_json 1 "bad_config_json/config.json:[0-9]+: not valid JSON" -- $C $W/bad_config_json $O
expect config_not_object 1 "config_not_object/config.json: not a JSON object" -- $C $W/config_not_object $O
expect config_missing_key 1 "config_missing_key/config.json: missing 'hidden_size'" -- $C $W/config_missing_key $O
expect unknown_arch 1 "unknown_arch/config.json: no spec for architecture 'FrobnicatorForCausalLM'.*writing-a-spec" -- $C $W/unknown_arch $O
expect missing_tensor 1 "missing_tensor/model.safetensors: missing tensor 'model.layers.0.self_attn.q_proj.weight'" -- $C $W/missing_tensor $O
expect offsets_past_end 1 "offsets_past_end/model.safetensors: tensor '.*': data_offsets .* past the end" -- $C $W/offsets_past_end $O
expect overlapping_tensors 1 "overlapping_tensors/model.safetensors: tensors '.*' and '.*' overlap" -- $C $W/overlapping_tensors $O
expect unknown_dtype 1 "unknown_dtype/model.safetensors: tensor '.*': unknown dtype 'F12'" -- $C $W/unknown_dtype $O
expect header_too_long 1 "header_too_long/model.safetensors: header length [0-9]+ is larger than the file" -- $C $W/header_too_long $O
expect header_not_json 1 "header_not_json/model.safetensors: header is not valid JSON" -- $C $W/header_not_json $O
expect truncated 1 "truncated/model.safetensors: " -- $C $W/truncated $O
expect tiny_file 1 "tiny_file/model.safetensors: not a safetensors file" -- $C $W/tiny_file $O
expect shape_size_mismatch 1 "shape_size_mismatch/model.safetensors: tensor '.*': shape needs [0-9]+ bytes but data_offsets span" -- $C $W/shape_size_mismatch $O
D="[0-9]+"
expect config_hidden_negative 1 "config_hidden_negative/config.json: 'hidden_size' is -$D: it must be an integer from 1 to $D" -- $C $W/config_hidden_negative $O
expect config_vocab_wrong 1 "config_vocab_wrong/model.safetensors: tensor 'model.embed_tokens.weight' is \[$D, $D\], but .*config_vocab_wrong/config.json implies \[$D, $D\]" -- $C $W/config_vocab_wrong $O
expect config_heads_wrong 1 "config_heads_wrong/model.safetensors: tensor 'model.layers.0.self_attn.q_proj.weight' is \[$D, $D\], but .*config_heads_wrong/config.json implies \[$D, $D\]" -- $C $W/config_heads_wrong $O
for fam in gpt2 bert; do
  expect config_hidden_negative_$fam 1 "config_hidden_negative_$fam/config.json: '(hidden_size|n_embd)' is -$D: it must be an integer from 1 to $D" -- $C $W/config_hidden_negative_$fam $O
done
# a size an SSM or MoE config states that its tensors disagree with
while read -r n; do
  expect "$n" 1 "$n/model.safetensors: tensor '.*' is \[$D(, $D)*\], but .*$n/config.json implies \[[-?0-9, ]*\] \(wanted by archspecs/[a-z0-9_]+.lua:$D(, in archspecs/lib/[a-z]+.lua:$D)?\)$" -- $C $W/$n $O
done < "$W/ssm_moe_cases.txt"
# a number no model can have: refused before the spec runs, naming the config and the key
while read -r n key v; do
  expect "$n" 1 "$n/config.json: '$key' is .*: it must be (an integer from -?$D to $D|a number|a token id)" -- $C $W/$n $O
done < "$W/config_value_cases.txt"
expect no_weights 1 "no_weights: no model.safetensors" -- $C $W/no_weights $O
expect no_such_dir 1 "nonexistent: no such file or directory" -- $C $work/nonexistent $O
expect not_a_dir 1 "config.json: not a model directory" -- $C $good/config.json $O
expect spec_lua_error 1 "spec_lua_error.lua:3: attempt to index a nil value" -- $C $good --spec $W/spec_lua_error.lua $O
expect spec_lib_error 1 "spec_lib_error.lua:3: rope_table: need 0 < rot_dim .* \(in archspecs/lib/rope.lua:[0-9]+\)$" -- $C $good --spec $W/spec_lib_error.lua $O
expect spec_lib_shape 1 "model.safetensors: tensor 'model.embed_tokens.weight' is \[$D, $D\], but .*config.json implies \[$D, 32\] \(wanted by .*spec_lib_shape.lua:4, in archspecs/lib/decoder.lua:[0-9]+\)$" -- $C $good --spec $W/spec_lib_shape.lua $O
expect spec_os_execute 1 "spec_os_execute.lua:2: attempt to index a nil value \(global 'os'\)" -- $C $good --spec $W/spec_os_execute.lua $O
expect spec_io 1 "spec_io.lua:2: attempt to index a nil value \(global 'io'\)" -- $C $good --spec $W/spec_io.lua $O
expect spec_require 1 "spec_require.lua:2: attempt to call a nil value \(global 'require'\)" -- $C $good --spec $W/spec_require.lua $O
expect spec_load 1 "spec_load.lua:2: attempt to call a nil value \(global 'load'\)" -- $C $good --spec $W/spec_load.lua $O
expect spec_loop 1 "spec_loop.lua:2: spec exceeded the instruction limit" -- $C $good --spec $W/spec_loop.lua $O
expect spec_memory 1 "spec_memory.lua.*(not enough memory|memory)" -- $C $good --spec $W/spec_memory.lua $O
expect spec_syntax 1 "spec_syntax.lua:1: .*expected" -- $C $good --spec $W/spec_syntax.lua $O
expect spec_bytecode 1 "spec_bytecode.lua.*(binary|text)" -- $C $good --spec $W/spec_bytecode.lua $O
expect spec_no_output 1 "spec_no_output.lua: build\(\) made no output" -- $C $good --spec $W/spec_no_output.lua $O
expect spec_hidden_last 1 "spec_hidden_last.lua:3: hidden: x must be an activation \[T, hidden\]" -- $C $good --spec $W/spec_hidden_last.lua $O
expect spec_bad_shape 1 "spec_bad_shape.lua:3: matmul: input \[T,64\] does not fit weight \[64,128\]" -- $C $good --spec $W/spec_bad_shape.lua $O
expect spec_rows_outside 1 "spec_rows_outside.lua:2: rows: \[0, [0-9]+\) outside [0-9]+ rows" -- $C $good --spec $W/spec_rows_outside.lua $O
expect spec_vision_leak 1 "spec_vision_leak.lua:4: bad argument #1 to 'output' \\(a tensor of another graph" -- $C $good --spec $W/spec_vision_leak.lua $O
expect spec_pixels_outside 1 "spec_pixels_outside.lua:2: pixels: only inside vision\\(\\)" -- $C $good --spec $W/spec_pixels_outside.lua $O
expect spec_image_merge_first 1 "spec_image_merge_first.lua:3: image_merge: call image_rows first" -- $C $good --spec $W/spec_image_merge_first.lua $O
expect spec_missing_file 1 "nope.lua: cannot read the spec" -- $C $good --spec $work/nope.lua $O
# the sandbox: a limit that is hit ends the spec with one line naming it,
# whatever the spec catches (pcall, xpcall) or calls (patterns, rep, table
# functions, the builder); timeout keeps a limit that fails from hanging (above
# the sandbox's own 30 s wall clock, so that on a busy machine the limits decide)
T="timeout 60"
INSN="spec exceeded the instruction limit"
MEM="spec exceeded the memory limit"
for c in sb_pcall_loop:2 sb_xpcall_loop:2 sb_xpcall_handler:2 sb_pcall_error_loop:2 sb_pattern_find:2 sb_pattern_match:2 \
         sb_pattern_gmatch:2 sb_gsub_function:3 sb_pattern_loop:3 sb_rep_loop:2 sb_table_concat:4 \
         sb_table_move:2 sb_table_insert:3; do
  n=${c%:*}; expect $n 1 "$n.lua:${c#*:}: $INSN" -- $T $C $good --spec $W/$n.lua $O
done
# (a single allocation past the limit fails where no line is known: the file only)
for c in sb_zeros:2: sb_concat_loop:3:? sb_pcall_memory:3:; do
  n=${c%%:*}; l=${c#*:}; expect $n 1 "$n.lua(:${l%:*})${l#*:}: $MEM" -- $T $C $good --spec $W/$n.lua $O
done
expect sb_rep_empty 1 "sb_rep_empty.lua:3: rep made 0 bytes" -- $T $C $good --spec $W/sb_rep_empty.lua $O
expect sb_rep_huge 1 "sb_rep_huge.lua:2: resulting string too large" -- $T $C $good --spec $W/sb_rep_huge.lua $O
expect sb_coroutine 1 "sb_coroutine.lua:2: attempt to index a nil value \(global 'coroutine'\)" -- $T $C $good --spec $W/sb_coroutine.lua $O
for n in sb_gc_loop sb_gc_alloc; do
  expect $n 1 "$n.lua:2: setmetatable: a spec may not set __gc" -- $T $C $good --spec $W/$n.lua $O
done
expect sb_gc_builder_mt 1 "sb_gc_builder_mt.lua:3: attempt to index a string value \(local 'mt'\)" -- $T $C $good --spec $W/sb_gc_builder_mt.lua $O
expect bad_option 2 "unknown option '--frobnicate'" -- $C $good $O --frobnicate
expect bad_dtype 2 "--dtype q3_x: not one of" -- $C $good $O --dtype q3_x
expect bad_target 2 "--target vax: unknown target" -- $C $good $O --target vax
expect no_output_flag 2 "-o OUT is required" -- $C $good
expect unknown_command 2 "unknown command 'compiel'" -- ./venusc compiel $good
G="$work/cases"
expect gguf_truncated 1 "gguf_truncated.gguf: (truncated|tensor '.*': data .* runs past the end)" -- $C $G/gguf_truncated.gguf $O
expect gguf_header_only 1 "gguf_header_only.gguf: (truncated|claims [0-9]+ tensors)" -- $C $G/gguf_header_only.gguf $O
expect gguf_bad_version 1 "gguf_bad_version.gguf: GGUF version 7" -- $C $G/gguf_bad_version.gguf $O
expect gguf_big_endian 1 "gguf_big_endian.gguf: a big-endian GGUF file" -- $C $G/gguf_big_endian.gguf $O
expect gguf_huge_counts 1 "gguf_huge_counts.gguf: claims [0-9]+ tensors" -- $C $G/gguf_huge_counts.gguf $O
expect gguf_not_gguf 1 "gguf_not_gguf.gguf: not a GGUF file" -- $C $G/gguf_not_gguf.gguf $O
expect gguf_unknown_arch 1 "gguf_unknown_arch.gguf: GGUF architecture 'lxama' has no mapping" -- $C $G/gguf_unknown_arch.gguf $O
expect gguf_bad_kblock 1 "gguf_bad_kblock.gguf: tensor '.*': malformed q4_k block 0 \(its scale is not a finite number\)" -- $C $G/gguf_bad_kblock.gguf $O
expect gguf_unknown_type 1 "gguf_unknown_type.gguf: tensor '.*': GGML type 99 is not supported" -- $C $G/gguf_unknown_type.gguf $O
[ -e /tmp/venus-pwned ] && { echo "FAIL  a spec ran os.execute"; fail=$((fail+1)); }

# the model binary: wrong, truncated and missing weight files
./venusc compile $good -o "$work/a" && ./venusc compile tests/fixtures/hf/qwen3 -o "$work/b" || exit 1
expect weights_mismatch 1 "b.vnw: this weight file belongs to another model binary" -- "$work/a" --weights "$work/b.vnw" --ids 1,2,3 -n 1 --print-ids
head -c 5000 "$work/a.vnw" > "$work/trunc.vnw"
expect weights_truncated 1 "trunc.vnw: truncated" -- "$work/a" --weights "$work/trunc.vnw" --ids 1,2,3 -n 1 --print-ids
expect weights_missing 1 "none.vnw: cannot open the weight file" -- "$work/a" --weights "$work/none.vnw" --ids 1,2,3 -n 1 --print-ids
head -c 100 "$work/a" > "$work/notw.vnw"
expect weights_garbage 1 "notw.vnw: not a venus weight file" -- "$work/a" --weights "$work/notw.vnw" --ids 1,2,3 -n 1 --print-ids
expect bin_bad_id 2 "--ids: '999999' is not a token id" -- "$work/a" --ids 1,999999 -n 1 --print-ids
# encoder-decoder inputs (runtime/s2s.c, runtime/mel.c): the speech fixture takes [16][64] features
S2S=tests/fixtures/seq2seq/public/whisper
./venusc compile $S2S -o "$work/wh" 2>/dev/null || exit 1
expect s2s_decoder_ids_decoder_only 2 "--decoder-ids, --features and --audio go with encoder-decoder models" -- "$work/a" --ids 1,2 --decoder-ids 0 -n 1 --print-ids
head -c 1000 $S2S/input_features.f32 > "$work/short.f32"
expect s2s_features_size 2 "short.f32: only 1000 bytes; this model takes float32 \[16 mel bins\]\[64 frames\] = 4096 bytes" -- "$work/wh" --features "$work/short.f32" -n 1 --print-ids
expect s2s_features_missing 2 "none.f32: cannot open the features file" -- "$work/wh" --features "$work/none.f32" -n 1 --print-ids
expect s2s_ids_for_audio 2 "this model's encoder reads audio: give --features" -- "$work/wh" --ids 1,2 -n 1 --print-ids
expect s2s_audio_not_wav 2 "tone440.json: not a WAV file" -- "$work/wh" --audio tests/fixtures/audio/tone440.json -n 1 --print-ids
python3 -c "
import wave, sys
w = wave.open(sys.argv[1], 'wb'); w.setnchannels(2); w.setsampwidth(2); w.setframerate(44100); w.writeframes(bytes(400)); w.close()" "$work/stereo.wav"
expect s2s_audio_stereo 2 "stereo.wav: WAV of format 1, 2 channels, 44100 Hz, 16 bits; this takes 16 kHz mono 16-bit PCM" -- "$work/wh" --audio "$work/stereo.wav" -n 1 --print-ids
expect s2s_lib 2 "--lib: t5 is an encoder-decoder model; the library API does not run encoders yet" -- ./venusc compile tests/fixtures/seq2seq/public/t5 --lib $O
cat > "$work/spec_enc_reads_step.lua" <<'LUA'
return arch { name = "x", build = function(cfg)
  model { vocab = 256, encoder_rows = 8 }
  local y = embed(weight("shared.weight"), tokens())
  stage("encoder")
  local x = add(embed(weight("shared.weight"), tokens()), y)
  stage("decoder")
  output(linear(last(y), weight("shared.weight")))
end }
LUA
expect spec_encoder_reads_step 1 "spec_enc_reads_step.lua:5: add: an encoder node reads a decoder step's value" -- $C tests/fixtures/seq2seq/public/t5 --spec "$work/spec_enc_reads_step.lua" $O
expect s2s_audio_frames 2 "tone440.wav: this model takes 64 frames of features, the log-mel front end gives 3000" -- "$work/wh" --audio tests/fixtures/audio/tone440.wav -n 1 --print-ids
expect bin_bad_flag 2 "unknown option '--bogus'" -- "$work/a" --bogus
expect bin_prompt_no_tokenizer 2 "-p/-f needs a tokenizer.*--ids" -- "$work/a" -p "hello"
expect bin_bad_temp 2 "option --temp: 'hot' is not a number" -- "$work/a" --ids 1 --temp hot
# the weight file's integrity (runtime/wfile.c): start-up checks the header,
# the tensor table and the size; --verify and venusc verify every byte
# damage SRC DST OFFSET: DST is SRC with the byte at OFFSET (negative: from the end) flipped
damage() { python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[int(sys.argv[3])]^=0x10; open(sys.argv[2],'wb').write(b)" "$@"; }
damage "$work/a.vnw" "$work/hdr.vnw" 24           # the data-end field
expect weights_header_field 1 "hdr.vnw: the weight file's header is damaged" -- "$work/a" --weights "$work/hdr.vnw" --ids 1,2,3 -n 1 --print-ids
damage "$work/a.vnw" "$work/tab.vnw" -8            # a byte of the last tensor's name
expect weights_table_field 1 "tab.vnw: the weight file's tensor table is damaged" -- "$work/a" --weights "$work/tab.vnw" --ids 1,2,3 -n 1 --print-ids
cp "$work/a.vnw" "$work/extra.vnw"; printf 'x' >> "$work/extra.vnw"
expect weights_extra_bytes 1 "extra.vnw: [0-9]+ bytes, expected [0-9]+: extra bytes" -- "$work/a" --weights "$work/extra.vnw" --ids 1,2,3 -n 1 --print-ids
head -c $(( $(wc -c < "$work/a.vnw") - 1 )) "$work/a.vnw" > "$work/short.vnw"
expect weights_one_byte_short 1 "short.vnw: truncated: [0-9]+ bytes, expected" -- "$work/a" --weights "$work/short.vnw" --ids 1,2,3 -n 1 --print-ids
damage "$work/a.vnw" "$work/flip.vnw" 5000         # a weight: start-up cannot see it, --verify does
expect weights_flip_verify 1 "flip.vnw: damaged: tensor '.*' \(bytes [0-9]+\.\.[0-9]+\) does not match its checksum" -- "$work/a" --weights "$work/flip.vnw" --verify
cp "$work/a" "$work/c"; cp "$work/flip.vnw" "$work/c.vnw"
expect venusc_verify_flip 1 "c.vnw: damaged: tensor '.*' \(bytes [0-9.]+\) does not match" -- ./venusc verify "$work/c"
expect venusc_verify_header 1 "hdr.vnw: the weight file's header is damaged" -- ./venusc verify "$work/hdr.vnw"
expect venusc_verify_missing 1 "none.vnw: cannot open the weight file" -- ./venusc verify "$work/none"
expect bin_verify_with_prompt 2 "--verify checks the weight file and exits" -- "$work/a" --verify --ids 1,2

# the CPU feature check (runtime/cpu.c): a binary for an ISA extension the
# CPU lacks refuses in one line instead of dying of SIGILL
./venusc compile $good -o "$work/x512" --target x86-64-avx512 >/dev/null 2>&1 || true
if [ "$(uname -m)" = x86_64 ] && [ -x "$work/x512" ]; then
  if grep -q avx512f /proc/cpuinfo && grep -q avx512bw /proc/cpuinfo && grep -q avx512vl /proc/cpuinfo && grep -q avx512_vnni /proc/cpuinfo; then
    echo "skip  cpu_no_avx512: this CPU has AVX-512 (VN_CPU_HIDE stands in for a CPU without it below)"
  else
    expect cpu_no_avx512 1 "this binary was compiled for target x86-64-avx512, and this CPU lacks avx512" -- "$work/x512" --ids 1,2,3 -n 1 --print-ids
  fi
  if grep -q avx512f /proc/cpuinfo && grep -q avx512bw /proc/cpuinfo && grep -q avx512vl /proc/cpuinfo && grep -q avx512_vnni /proc/cpuinfo; then
    expect cpu_hidden_feature 1 "this binary was compiled for target x86-64-avx512, and this CPU lacks avx512vnni \(compile" -- env VN_CPU_HIDE=avx512vnni "$work/x512" --help
  elif grep -q avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && grep -q f16c /proc/cpuinfo; then
    # no AVX-512 here: hide one of the AVX2 target's features this CPU has
    ./venusc compile $good -o "$work/xavx2" --target x86-64-avx2 >/dev/null 2>&1 || true
    expect cpu_hidden_feature 1 "this binary was compiled for target x86-64-avx2, and this CPU lacks fma \(compile" -- env VN_CPU_HIDE=fma "$work/xavx2" --help
  else
    echo "skip  cpu_hidden_feature: this CPU has neither AVX-512 nor AVX2 with FMA and F16C"
  fi
  # the check itself is built for the baseline: no VEX/EVEX instruction in vn_cpu_check
  if command -v objdump >/dev/null 2>&1; then
    n=$(objdump -d --no-show-raw-insn "$work/x512" | awk '/<vn_cpu_check>:/,/^$/' | grep -cE '%[yz]mm|%k[0-7]|:[[:space:]]+v[a-z0-9]+[[:space:]]')
    body=$(objdump -d "$work/x512" | awk '/<vn_cpu_check>:/,/^$/' | grep -c .)
    if [ "$n" -eq 0 ] && [ "$body" -gt 10 ]; then pass=$((pass+1)); echo "ok    cpu_check_baseline: vn_cpu_check has no AVX instruction"
    else fail=$((fail+1)); echo "FAIL  cpu_check_baseline: $n AVX instructions in vn_cpu_check ($body lines)"; fi
  fi
fi

# a weight file truncated while the binary runs: SIGBUS on the mapping is one line, exit 1
./venusc compile examples/tiny-kjv -o "$work/kjv" >/dev/null 2>&1 || exit 1
"$work/kjv" -p "In the beginning" -n 8000 --ignore-eos --ctx 8192 --temp 0 >"$work/run.out" 2>"$work/run.err" &
runpid=$!
i=0; while [ ! -s "$work/run.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
truncate -s 8192 "$work/kjv.vnw"
i=0; while kill -0 $runpid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
kill -0 $runpid 2>/dev/null && kill $runpid
wait $runpid; rc=$?
grep -v "warning: --ctx 8192 is past the trained context" "$work/run.err" > "$work/run.err2"; mv "$work/run.err2" "$work/run.err"
if [ $rc -eq 1 ] && [ "$(grep -c . "$work/run.err")" -eq 1 ] && grep -q "kjv.vnw: the weight file was truncated or became unreadable while the model ran" "$work/run.err"; then
  pass=$((pass+1)); echo "ok    weights_truncated_while_running: $(cat "$work/run.err")"
else fail=$((fail+1)); echo "FAIL  weights_truncated_while_running: exit $rc"; sed 's/^/      /' "$work/run.err" | head -5; fi

# random corruptions of a safetensors header, a GGUF file and a config.json
if python3 tests/errors/mutate.py ./venusc "$work/mut" 150 1; then pass=$((pass+1)); else fail=$((fail+1)); fi
# ---- a compile under faults: nothing is left behind, the cause is named ----
expect inspect_no_such 1 "nonexistent: no such file or directory" -- ./venusc inspect $work/nonexistent
# a binary with the weight file of another run of the same model (as when a
# compile died between its two renames) is refused by the weights id
./venusc compile $good -o "$work/r1" 2>/dev/null && ./venusc compile $good -o "$work/r2" --dtype f16 2>/dev/null || exit 1
cp "$work/r2.vnw" "$work/r1.vnw"
expect weights_of_another_run 1 "r1.vnw: this weight file belongs to another model binary" -- "$work/r1" --ids 1,2,3 -n 1 --print-ids
T="$work/ftmp"; F="$work/fault"; mkdir -p "$T" "$F"
# empty NAME DIR: DIR holds nothing
empty() { if [ -z "$(ls -A "$2")" ]; then pass=$((pass+1)); echo "ok    $1"; else fail=$((fail+1)); echo "FAIL  $1: left $(ls -A "$2" | tr '\n' ' ')"; fi; }
# no_cc NAME: no process runs on a work tree of $T (the compiler died with venusc)
no_cc() {
  sleep 0.3
  if ps -eo args | grep -F "$T/venusc." | grep -qv grep; then fail=$((fail+1)); echo "FAIL  $1: a compiler still runs"
  else pass=$((pass+1)); echo "ok    $1"; fi
}
# start_compile OUT: a compile in the background ($vp), returns once its compiler runs
start_compile() {
  TMPDIR="$T" ./venusc compile $good -o "$1" 2>/dev/null & vp=$!
  i=0; while [ $i -lt 600 ]; do
    for f in "$T"/venusc.*/cc.log; do [ -e "$f" ] && return 0; done
    sleep 0.05; i=$((i+1))
  done; return 1
}
for sig in TERM HUP; do
  if start_compile "$F/sig"; then
    kill -$sig $vp; wait $vp 2>/dev/null; rc=$?
    if [ $rc -gt 128 ]; then pass=$((pass+1)); echo "ok    SIG$sig ends the compile (exit $rc)"; else fail=$((fail+1)); echo "FAIL  SIG$sig: exit $rc"; fi
    empty "SIG$sig during a compile leaves no output" "$F"; empty "SIG$sig during a compile leaves no work tree" "$T"
    no_cc "SIG$sig: the compiler dies with venusc"
  else wait $vp; fail=$((fail+1)); echo "FAIL  SIG$sig: the compile never reached its compiler"; fi
done
# SIGINT (Ctrl+C) from a process that does not ignore it, as a terminal's would be
if python3 - "$T" "$F/sig" "$good" <<'PY'
import glob, os, signal, subprocess, sys, time
tmp, out, model = sys.argv[1:4]
p = subprocess.Popen(["./venusc", "compile", model, "-o", out], env=dict(os.environ, TMPDIR=tmp),
                     stderr=subprocess.DEVNULL, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
for _ in range(600):
    if glob.glob(tmp + "/venusc.*/cc.log"):
        break
    time.sleep(0.05)
p.send_signal(signal.SIGINT)
sys.exit(0 if p.wait() == -signal.SIGINT else 1)
PY
then pass=$((pass+1)); echo "ok    SIGINT ends the compile"; else fail=$((fail+1)); echo "FAIL  SIGINT does not end the compile by SIGINT"; fi
empty "SIGINT during a compile leaves no output" "$F"; empty "SIGINT during a compile leaves no work tree" "$T"
no_cc "SIGINT: the compiler dies with venusc"
# kill -9 cannot be caught: the compiler dies with venusc, the next run removes the leftovers
if start_compile "$F/k9"; then
  kill -9 $vp; wait $vp 2>/dev/null
  no_cc "kill -9: the compiler dies with venusc"
  dead=$(sh -c 'echo $$')   # a pid that no longer runs
  : > "$F/k9.tmp$dead"; : > "$F/k9.vnw.tmp$dead"; mkdir "$T/venusc.$dead.abcdef"; : > "$T/venusc.$dead.abcdef/model.c"
  : > "$F/k9.tmp$$"; : > "$F/k9.tmpx"; mkdir "$T/venusc.$$.ghijkl" "$T/venusc.x"   # a live pid's, and not venusc's
  TMPDIR="$T" ./venusc compile $good -o "$F/k9" 2>/dev/null
  left=$(cd "$F" && ls -A | tr '\n' ' '); tleft=$(cd "$T" && ls -A | tr '\n' ' ')
  if [ "$left" = "k9 k9.tmp$$ k9.tmpx k9.vnw " ] && [ "$tleft" = "venusc.$$.ghijkl venusc.x " ]; then
    pass=$((pass+1)); echo "ok    kill -9: the next run removes the leftovers of dead runs (only those)"
  else fail=$((fail+1)); echo "FAIL  kill -9 leftovers: left '$left' and '$tleft'"; fi
  rm -rf "$F"/* "$T"/*
else wait $vp; fail=$((fail+1)); echo "FAIL  kill -9: the compile never reached its compiler"; fi
# a full disk and a read-only one (a small tmpfs; needs root)
D="$work/disk"; mkdir -p "$D"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$D" 2>/dev/null; then
  expect disk_full_weights 1 "No space left on device: the weights take [0-9]+ bytes" -- ./venusc compile $good -o "$D/out"
  empty "a full disk: nothing left on it" "$D"
  umount "$D"
  # room for the weight file but not the binary: the linker hits it
  wb=$(wc -c < "$work/a.vnw"); bb=$(wc -c < "$work/a")
  mount -t tmpfs -o size=$(( (wb / 4096 + 1) * 4096 + bb / 2 )) tmpfs "$D"
  expect disk_full_link 1 "failed: .*No space left on device" -- ./venusc compile $good -o "$D/out"
  empty "a disk full for the linker: nothing left on it" "$D"
  umount "$D"
  mount -t tmpfs -o size=16k tmpfs "$D"
  expect disk_full_tmpdir 1 "No space left on device" -- env TMPDIR="$D" ./venusc compile $good -o "$work/out"
  empty "a full TMPDIR: nothing left on it" "$D"
  mount -o remount,ro "$D"
  expect read_only 1 "cannot write into the directory .*Read-only file system" -- ./venusc compile $good -o "$D/out"
  umount "$D"
else echo "skip  disk full and read-only compiles (need root and a tmpfs mount)"; fi
# every input that ever made a fuzz target fail (tests/errors/regress/, tests/fuzz/)
if python3 tests/errors/regress/run.py ./venusc "$work/regress"; then pass=$((pass+1)); else fail=$((fail+1)); fi
echo "errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
