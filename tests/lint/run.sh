#!/bin/sh
# tests/lint/run.sh: the C core knows ops, not models. No architecture class,
# model_type or family name may appear in graph/, ops/, frontend/, tok/, codegen/, runtime/
# or targets/: everything architecture-specific lives in archspecs/.
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "lint: build ./venusc first (make)"; exit 2; }
# names the specs declare (classes, model types, spec names) ...
names=$(./venusc specs | awk 'NR > 1 && $1 != "" && $0 !~ /^ / { print $1; sub(/^[^ ]+ +/, ""); sub(/ +archspecs\/.*$/, ""); gsub(/[(),]/, " "); print }' | tr ' ' '\n')
# ... and the families venus targets, whether or not their spec exists yet
families="llama mistral mixtral qwen qwen2 qwen3 qwen2_moe qwen3_moe gemma gemma2 gemma3 phi phi3 gpt2 gptj gpt_neox
falcon stablelm starcoder2 gpt_bigcode olmo2 cohere exaone4 glm granite bloom bert deepseek deepseek_v3
mamba mamba2 falcon_mamba granitemoehybrid jamba rwkv"
# codegen is also a folder of venus, helium Arm's M-profile vector extension (a target)
pat=$(printf '%s\n%s\n' "$names" "$families" | grep -v '^$' | grep -vxE 'codegen|helium' | sort -u | paste -sd'|')
hits=$(grep -rniwE "$pat" graph ops frontend tok codegen runtime targets --include='*.c' --include='*.h' --include='*.def' 2>/dev/null)
if [ -n "$hits" ]; then
  echo "lint: architecture names in the C core (they belong in archspecs/):"
  echo "$hits" | cut -c1-160
  exit 1
fi
echo "lint: no architecture names in graph/ ops/ frontend/ tok/ codegen/ runtime/ targets/ ($(echo "$pat" | tr '|' '\n' | wc -l) names checked)"
