#!/bin/sh
# tests/gguf/meta.sh WORKDIR: what venusc says about GGUF files: `inspect`
# lists each tensor under its own name with the HF name it maps to, `specs`
# which GGUF architectures each spec reads, and bad metadata in converter
# files gets one line naming the file and a non-zero exit.
cd "$(dirname "$0")/../.." || exit 2
work=$1; F=tests/fixtures/gguf-conv; fails=0
mkdir -p "$work/meta"
check() {  # check NAME REGEX CMD...: the command's output matches REGEX
  name=$1 re=$2; shift 2
  out=$("$@" 2>&1)
  if printf '%s\n' "$out" | grep -Eq -- "$re"; then echo "ok    $name"
  else echo "FAIL  $name: no /$re/ in: $(printf '%s' "$out" | tail -3)"; fails=$((fails+1)); fi
}
check "inspect: own name, type, HF name, regrouped rows" \
  'blk\.0\.attn_q\.weight +f32 +\[64,64\] -> model\.layers\.0\.self_attn\.q_proj\.weight \(rows regrouped per head\)' \
  ./venusc inspect $F/llama.gguf
check "inspect: derived tensors" 'blk\.0\.attn_k_b\.weight .* -> derived: model\.layers\.0\.self_attn\.kv_b_proj\.weight' \
  ./venusc inspect $F/deepseek_v3.gguf
check "inspect: tensors that are hyperparameters" 'rope_freqs\.weight .*no HF tensor' ./venusc inspect $F/llama_rope_llama3.gguf
check "specs: GGUF architectures per spec" 'reads GGUF architecture: command-r' ./venusc specs
check "specs: one GGUF architecture, several specs" 'reads GGUF architecture: llama' ./venusc specs
bad() {  # bad NAME FILE KEY VALUE REGEX: compile of FILE with KEY = VALUE fails with REGEX
  g=$work/meta/$1.gguf
  python3 tests/gguf/setkey.py $F/$2 "$g" "$3" "$4" || { fails=$((fails+1)); return; }
  out=$(./venusc compile "$g" -o "$work/meta/$1" 2>&1); rc=$?
  n=$(printf '%s\n' "$out" | wc -l)
  if [ $rc -eq 1 ] && [ "$n" -eq 1 ] && printf '%s' "$out" | grep -Eq -- "^venusc: $g: .*$5"; then echo "ok    bad $1"
  else echo "FAIL  bad $1: rc=$rc: $out"; fails=$((fails+1)); fi
}
bad kv_not_dividing falcon_new.gguf falcon.attention.head_count_kv 3 "GGUF key 'falcon.attention.head_count_kv' \(3\) does not divide"
bad heads_not_dividing bloom.gguf bloom.attention.head_count 5 "'bloom.attention.head_count' \(5\) does not divide embedding_length"
bad zero_ssm_heads mamba2.gguf mamba2.ssm.time_step_rank 0 "'mamba2.ssm.time_step_rank' must be positive"
bad zero_rope_dim deepseek_v3.gguf deepseek2.rope.dimension_count 0 "'deepseek2.rope.dimension_count' must be positive"
bad zero_layers mamba.gguf mamba.block_count 0 "'mamba.block_count' must be positive"
bad rope_freqs_length llama_rope_llama3.gguf llama.rope.dimension_count 8 "tensor 'rope_freqs.weight' holds 8 factors, the rotary dimension 8 needs 4"
bad more_layers_than_tensors jamba.gguf jamba.block_count 3 "missing tensor"
[ $fails -eq 0 ]
