# tests/cli/progress.sh: progress on stderr only when it is a terminal (sourced by
# tests/cli/run.sh: $work, t, has, ok, no; $work/kjv2 is the demo model's binary)
K=examples/tiny-kjv
python3 tests/cli/on_tty.py ./venusc compile $K -o "$work/kjvp" -v >"$work/tty" 2>&1
has "progress: a pack on a terminal draws a bar to 100%" "^venusc: packing weights \[#+\] 100% " "$work/tty"
python3 tests/cli/on_tty.py ./venusc compile $K -o "$work/kjvp" >"$work/tty" 2>&1
if grep -q "packing weights \[" "$work/tty"; then no "progress: no bar for small weights without -v"; else ok "progress: no bar for small weights without -v"; fi
./venusc compile $K -o "$work/kjvp" -v >"$work/out" 2>"$work/err"
if grep -q "packing weights \[" "$work/err"; then no "progress: no bar when stderr is not a terminal"; else ok "progress: no bar when stderr is not a terminal"; fi
python3 tests/cli/on_tty.py "$work/kjvp" --perplexity $K/kjv-val.txt --ctx 64 --chunks 3 >"$work/tty" 2>&1
has "progress: --perplexity on a terminal prints each chunk's running value" "^\[3/3\] perplexity so far [0-9.]+$" "$work/tty"
"$work/kjvp" --perplexity $K/kjv-val.txt --ctx 64 --chunks 3 >"$work/out" 2>"$work/err"
if [ ! -s "$work/err" ] && grep -qE "^perplexity: [0-9.]+$" "$work/out"; then ok "progress: --perplexity off a terminal prints the result only"; else no "progress: --perplexity off a terminal prints the result only"; fi
