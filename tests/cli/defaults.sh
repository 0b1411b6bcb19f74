# tests/cli/defaults.sh: the model binary's defaults come from the model
# (sourced by tests/cli/run.sh: uses its t/ok/no/has and $work).
# - the context defaults to the trained one; a --ctx past it warns;
# - --perplexity windows are --ctx tokens, a shorter text is one shorter window;
# - generation_config.json's sampling fields are the defaults, as transformers
#   reads them (do_sample absent: greedy); without the file, the binary's own.
K=examples/tiny-kjv
./venusc compile $K -o "$work/dk" >/dev/null 2>&1 || no "compile the demo model"
t "--help of a model with generation_config.json" "$work/dk" --help
has "--help: greedy from generation_config.json" "--temp T .*default 0, from generation_config.json" "$work/out"
has "--help: --ctx defaults to the trained context" "--ctx N .*default 512: the trained context" "$work/out"
t "--perplexity without --ctx" "$work/dk" --perplexity $K/kjv-val.txt --chunks 2 --stats
has "--perplexity windows are the trained context" "^2 windows of 512 tokens" "$work/err"
head -c 300 $K/kjv-val.txt > "$work/short.txt"
t "--perplexity of a text shorter than a window" "$work/dk" --perplexity "$work/short.txt" --stats
has "a short text is one shorter window" "^1 windows of [0-9]+ tokens" "$work/err"
t "--ctx past the trained context" "$work/dk" --ids 5,9,13 -n 1 --ctx 1024 --print-ids
has "--ctx past the trained context warns" "warning: --ctx 1024 is past the trained context of 512" "$work/err"
./venusc inspect $K >"$work/out" 2>&1
has "inspect states the default context" "trained context 512 \(the binary's default --ctx" "$work/out"
has "inspect states the sampling defaults" "^sampling: +generation_config.json: greedy" "$work/out"
# a model whose generation_config.json samples
g="$work/gen"; mkdir -p "$g"; cp $K/config.json $K/model.safetensors $K/tokenizer.json $K/tokenizer_config.json "$g/"
printf '{"do_sample": true, "temperature": 0.6, "top_k": 7, "top_p": 0.9, "repetition_penalty": 1.2, "max_new_tokens": 5, "eos_token_id": 0}\n' > "$g/generation_config.json"
./venusc compile "$g" -o "$work/gs" >/dev/null 2>&1 || no "compile with a sampling generation_config.json"
t "--help with sampling defaults" "$work/gs" --help
has "generation_config temperature" "--temp T .*default 0.6, from generation_config.json" "$work/out"
has "generation_config top_k" "--top-k K .*default 7;" "$work/out"
has "generation_config top_p" "--top-p P .*default 0.9\)" "$work/out"
has "generation_config repetition_penalty" "--repeat-penalty X .*default 1.2;" "$work/out"
has "generation_config max_new_tokens" "^  -n N .*default 5, from generation_config.json" "$work/out"
t "max_new_tokens is the default -n" "$work/gs" --ids 5,9,13 --print-ids --seed 1
has "five ids by default" "^[0-9]+( [0-9]+){4}$" "$work/out"
t "-n overrides max_new_tokens" "$work/gs" --ids 5,9,13 --print-ids -n 2 --seed 1
has "two ids with -n 2" "^[0-9]+ [0-9]+$" "$work/out"
# and one without generation_config.json keeps the binary's defaults
rm "$g/generation_config.json"
./venusc compile "$g" -o "$work/gn" >/dev/null 2>&1 || no "compile without generation_config.json"
t "--help without generation_config.json" "$work/gn" --help
has "the binary's own temperature" "--temp T .*default 0.8\)" "$work/out"
has "the binary's own -n" "^  -n N .*default 128;" "$work/out"
