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
expect no_weights 1 "no_weights: no model.safetensors" -- $C $W/no_weights $O
expect no_such_dir 1 "nonexistent: no such file or directory" -- $C $work/nonexistent $O
expect not_a_dir 1 "config.json: not a model directory" -- $C $good/config.json $O
expect spec_lua_error 1 "spec_lua_error.lua:3: attempt to index a nil value" -- $C $good --spec $W/spec_lua_error.lua $O
expect spec_os_execute 1 "spec_os_execute.lua:2: attempt to index a nil value \(global 'os'\)" -- $C $good --spec $W/spec_os_execute.lua $O
expect spec_io 1 "spec_io.lua:2: attempt to index a nil value \(global 'io'\)" -- $C $good --spec $W/spec_io.lua $O
expect spec_require 1 "spec_require.lua:2: attempt to call a nil value \(global 'require'\)" -- $C $good --spec $W/spec_require.lua $O
expect spec_load 1 "spec_load.lua:2: attempt to call a nil value \(global 'load'\)" -- $C $good --spec $W/spec_load.lua $O
expect spec_loop 1 "spec_loop.lua:2: spec exceeded the instruction limit" -- $C $good --spec $W/spec_loop.lua $O
expect spec_memory 1 "spec_memory.lua.*(not enough memory|memory)" -- $C $good --spec $W/spec_memory.lua $O
expect spec_syntax 1 "spec_syntax.lua:1: .*expected" -- $C $good --spec $W/spec_syntax.lua $O
expect spec_bytecode 1 "spec_bytecode.lua.*(binary|text)" -- $C $good --spec $W/spec_bytecode.lua $O
expect spec_no_output 1 "spec_no_output.lua: build\(\) made no output" -- $C $good --spec $W/spec_no_output.lua $O
expect spec_bad_shape 1 "spec_bad_shape.lua:3: matmul: input \[T,64\] does not fit weight \[64,128\]" -- $C $good --spec $W/spec_bad_shape.lua $O
expect spec_missing_file 1 "nope.lua: cannot read the spec" -- $C $good --spec $work/nope.lua $O
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
expect bin_bad_flag 2 "unknown option '--bogus'" -- "$work/a" --bogus
expect bin_prompt_no_tokenizer 2 "-p/-f needs a tokenizer.*--ids" -- "$work/a" -p "hello"
expect bin_bad_temp 2 "option --temp: 'hot' is not a number" -- "$work/a" --ids 1 --temp hot
# random corruptions of a safetensors header, a GGUF file and a config.json
if python3 tests/errors/mutate.py ./venusc "$work/mut" 150 1; then pass=$((pass+1)); else fail=$((fail+1)); fi
# every input that ever made a fuzz target fail (tests/errors/regress/, tests/fuzz/)
if python3 tests/errors/regress/run.py ./venusc "$work/regress"; then pass=$((pass+1)); else fail=$((fail+1)); fi
echo "errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
