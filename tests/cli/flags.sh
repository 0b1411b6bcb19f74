# tests/cli/flags.sh: the model binary's flags people know from other tools
# (sourced by tests/cli/run.sh: uses its t/ok/no/has and $work).
K=examples/tiny-kjv
[ -x "$work/fk" ] || ./venusc compile $K -o "$work/fk" >/dev/null 2>&1 || no "compile the demo model"
"$work/fk" -p "In the beginning" -n 32 --temp 0 >"$work/full" 2>/dev/null
t "--opt=value" "$work/fk" --prompt="In the beginning" --n-predict=32 --temp=0
if cmp -s "$work/out" "$work/full"; then ok "--name=value = --name value"; else no "--name=value = --name value"; fi
if "$work/fk" -p x --stats=1 >/dev/null 2>"$work/err"; then no "--stats=1 refused"; else has "--stats=1: takes no value" "takes no value" "$work/err"; fi
t "-s is --seed" "$work/fk" -p "And" -n 8 --temp 1 -s 5; cp "$work/out" "$work/s5"
t "--seed again" "$work/fk" -p "And" -n 8 --temp 1 --seed 5
if cmp -s "$work/out" "$work/s5"; then ok "-s S = --seed S"; else no "-s S = --seed S"; fi
t "-c and --ctx-size" "$work/fk" --ids 5,9,13 -n 1 --ctx-size 64 --print-ids --stats; has "--ctx-size 64" "context: 64$" "$work/err"
t "-n -1 runs to the end of the context" "$work/fk" --ids 5,9,13 -n -1 --temp 0 --ctx 40 --print-ids
has "-n -1 with --print-ids: 38 ids fill a context of 40 (the last from its last position)" "^[0-9]+( [0-9]+){37}$" "$work/out"
t "--stop" "$work/fk" -p "In the beginning" -n 32 --temp 0 --stop " and in the kingdom"
has "--stop ends before the stop text" "^In the beginning of the world, and in the seasons,$" "$work/out"
t "--stop that never appears" "$work/fk" -p "In the beginning" -n 32 --temp 0 --stop "zzzz" --stop "qqq"
if cmp -s "$work/out" "$work/full"; then ok "--stop that never appears changes nothing"; else no "--stop that never appears changes nothing"; fi
t "--no-display-prompt" "$work/fk" -p "In the beginning" -n 32 --temp 0 --no-display-prompt
if [ "In the beginning$(cat "$work/out")" = "$(cat "$work/full")" ]; then ok "--no-display-prompt prints only the new text"; else no "--no-display-prompt prints only the new text"; fi
printf 'In the beginning' | "$work/fk" -f - -n 32 --temp 0 >"$work/out" 2>"$work/err"
if cmp -s "$work/out" "$work/full"; then ok "-f - reads the prompt from stdin"; else no "-f - reads the prompt from stdin"; fi
t "--json --n-probs 3" "$work/fk" -p "In the beginning" -n 32 --temp 0 --n-probs 3
python3 - "$work/out" "$work/full" <<'PY' && ok "--json: one object per token, greedy = top[0], text = plain output, a summary" || no "--json: one object per token, greedy = top[0], text = plain output, a summary"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
toks, summ = lines[:-1], lines[-1]
assert summ["completion_tokens"] == len(toks) == 32 and summ["finish_reason"] == "length", summ
for t in toks:
    assert len(t["top"]) == 3 and t["top"][0]["id"] == t["id"] and t["logprob"] <= 0
    assert t["top"][0]["logprob"] >= t["top"][1]["logprob"] >= t["top"][2]["logprob"]
text = "In the beginning" + "".join(t["text"] for t in toks)
assert text == open(sys.argv[2], encoding="utf-8").read().rstrip("\n"), text
PY
"$work/fk" -p x -n 2 -t 1000 >/dev/null 2>"$work/err"
if [ "$(nproc)" -lt 1000 ]; then has "-t past the cores warns" "warning: -t 1000 is more than the" "$work/err"; fi
if "$work/fk" --ids 1,2 --logits "$work/x.logits" --json >/dev/null 2>"$work/err"; then no "--json with --logits refused"; else ok "--json with --logits refused"; fi
