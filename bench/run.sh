#!/bin/sh
# bench/run.sh (make bench): venus at real model sizes, beside llama.cpp.
# Writes random-weight Llamas as GGUF files (bench/mkgguf.c; the 110M shape
# by default, SHAPES="110m 1b" adds TinyLlama-1.1B's), f32 and f16, and
# q8_0/q4_0 made by llama.cpp's llama-quantize --pure when LLAMA_CPP=DIR
# (and its K-quant mixes, only then: DTYPES="q4_k_m q5_k_m q6_k q3_k_m q2_k")
# names a llama.cpp build (DIR/bin/llama-bench, DIR/bin/llama-quantize),
# else by venus's own --dtype from the f32 file. Measures the streaming read
# bandwidth and OpenBLAS sgemm (bench/probe.c), then per dtype: venusc
# compile time and peak RSS, binary and weight sizes, and per thread count
# prefill (a 128-token prompt, one call) and decode (64 tokens) tokens/s,
# best of REPS (default 2) with venus and llama.cpp (llama-bench -p 128 -n 64
# -r 3 -mmp 0) alternating; decode as llama-bench's tg64 counts it, from an
# empty context (one prompt token, then 64 steps), and beside it venus's
# decode after the 128-token prompt (dec@128: attention over 128-192
# positions); decode against the bandwidth roofline (weight bytes read per
# token); time to first token (start, map, 16-token prompt,
# first token) and the binary's peak RSS at --ctx 2048 beside its bound
# (weights + KV cache at 2048 positions + 64 MiB). Results: a table per
# shape on stdout, bench/out/results.csv, results.json and (with gnuplot,
# which make bench installs: tools/deps.sh bench) results.png. Then the demo model's speed per dtype (bench/tiny.sh).
# Timings vary with the machine and its load: read them as ratios within
# one run. Tests never time anything. Env: VENUSC (default ./venusc),
# SHAPES ("110m"; "110m 1b" adds the 1.1B shape), DTYPES, THREADS ("1 2"),
# REPS, KV_DTYPE (venusc --kv-dtype; default f32), LLAMA_CPP, BENCH_MODELS (where the
# GGUF files are kept between runs; default bench/out/models), BENCH_NO_TINY,
# VENUS_ONLY=1 (llama.cpp's files but not its timings: another venusc),
# LLAMA_CPP_COMMIT (printed as llama.cpp's commit where its tree is not a
# git checkout and llama-bench does not know its own).
cd "$(dirname "$0")/.." || exit 2
VENUSC=${VENUSC:-./venusc}
[ -x "$VENUSC" ] || { echo "bench: build ./venusc first (make)"; exit 2; }
SHAPES=${SHAPES:-110m}
DTYPES=${DTYPES:-"f32 f16 q8_0 q4_0"}
THREADS=${THREADS:-"1 2"}
REPS=${REPS:-2}
KV_DTYPE=${KV_DTYPE:-f32}
out=bench/out
models=${BENCH_MODELS:-$out/models}
mkdir -p "$out" "$models" || exit 2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
LB="" LQ=""
if [ -n "${LLAMA_CPP:-}" ]; then
  LB=$LLAMA_CPP/bin/llama-bench LQ=$LLAMA_CPP/bin/llama-quantize
  [ -x "$LB" ] && [ -x "$LQ" ] || { echo "bench: LLAMA_CPP=$LLAMA_CPP has no bin/llama-bench and bin/llama-quantize"; exit 2; }
  [ -n "${VENUS_ONLY:-}" ] && LB=""
fi
cc -O2 -o "$work/mkgguf" bench/mkgguf.c -lm || exit 1
blas=""
{ [ -e /usr/include/x86_64-linux-gnu/cblas.h ] || [ -e /usr/include/cblas.h ]; } && blas="-DVN_PROBE_BLAS -I/usr/include/x86_64-linux-gnu -lopenblas"
# shellcheck disable=SC2086
cc -O2 -march=native -o "$work/probe" bench/probe.c $blas -lpthread 2>/dev/null || cc -O2 -o "$work/probe" bench/probe.c -lpthread || exit 1

now() { date +%s.%N; }
# the largest of a list of numbers ("-" when none)
best() { printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | tail -1 | grep . || echo -; }
ratio() { case "$1$2" in *-*|"") echo - ;; *) echo "$1 $2" | awk '{ printf "%.2f", ($2 > 0) ? $1 / $2 : 0 }' ;; esac; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|f16c|avx512f|avx512_vnni|avx_vnni)$' | tr '\n' ' ')
bw=""; for t in $THREADS; do bw="$bw $("$work/probe" bw "$t")"; done
BW=$(best $bw)
lcommit=""
[ -n "$LQ" ] && lcommit=${LLAMA_CPP_COMMIT:-$(git -C "$LLAMA_CPP/.." rev-parse --short HEAD 2>/dev/null)}
printf 'cpu: %s (%s), %s cores, load %s\n' "$cpu" "$flags" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'read bandwidth (GB/s, threads %s):%s -> roofline at %s GB/s\n' "$THREADS" "$bw" "$BW"
if [ -n "$LQ" ]; then printf 'llama.cpp: %s (commit %s), q8_0/q4_0 by llama-quantize --pure%s\n' "$LLAMA_CPP" "${lcommit:-?}" "${VENUS_ONLY:+ (VENUS_ONLY: not timed)}"
else printf 'llama.cpp: not given (LLAMA_CPP=DIR); q8_0/q4_0 by venus --dtype\n'; fi

csv=$out/results.csv
echo "shape,dtype,threads,prefill_venus,prefill_llama,decode_venus,decode_llama,decode_venus_at128,roofline,decode_fraction,sgemm_gflops,prefill_gflops,ttft_s,rss_mb,rss_bound_mb,kv_dtype,compile_s,compile_rss_mb,binary_bytes,weight_bytes" > "$csv"
IDS128=$(awk 'BEGIN { for (i = 0; i < 128; i++) printf "%s%d", i ? "," : "", 300 + (i * 7919) % 31000 }')
IDS16=$(echo "$IDS128" | cut -d, -f1-16)
TMAX=$(echo $THREADS | tr ' ' '\n' | sort -n | tail -1)

for shape in $SHAPES; do
  case $shape in
    110m) H=768 L=12 NH=12 KV=12 F=2048 V=32000 ;;
    1b) H=2048 L=22 NH=32 KV=4 F=5632 V=32000 ;;
    *) echo "bench: unknown shape $shape (110m, 1b)"; exit 2 ;;
  esac
  hd=$((H / NH)); kvd=$((KV * hd))
  # elements of the matrices a decode step reads (every layer, the output head)
  mat=$(( L * (H * H * 2 + H * kvd * 2 + 3 * H * F) + V * H ))
  flops=$(( 2 * mat ))  # per token
  sg=$("$work/probe" sgemm "$TMAX" 128 $H $((H + 2 * kvd)) $H $H $H $((2 * F)) $F $H $H $V)
  for d in f32 f16; do
    [ -s "$models/$shape-$d.gguf" ] || "$work/mkgguf" "$models/$shape-$d.gguf" $d $H $L $NH $KV $F $V 2048 || exit 1
  done
  printf '\nshape %s: hidden %s, %s layers, %s heads (%s KV), FFN %s, vocab %s; %s M matrix parameters; sgemm %s GFLOP/s (%s threads)\n' \
    $shape $H $L $NH $KV $F $V $((mat / 1000000)) "$sg" "$TMAX"
  printf '%-5s %3s | %9s %9s %6s | %8s %8s %6s %8s | %8s %6s | %6s %7s\n' dtype thr prefill llama.cpp ratio decode llama.cpp ratio dec@128 roofline frac ttft_s rss_MB
  for d in $DTYPES; do
    case $d in
      f32) bpe=4 ;; f16) bpe=2 ;; q8_0) bpe=1.0625 ;; q4_0) bpe=0.5625 ;; q4_k_m) bpe=0.6 ;;
      q5_k_m) bpe=0.7 ;; q6_k) bpe=0.82 ;; q3_k_m) bpe=0.5 ;; q2_k) bpe=0.42 ;;
      *) echo "bench: unknown dtype $d"; exit 2 ;;
    esac
    src=$models/$shape-f32.gguf dflag=""
    case $d in
      f16) src=$models/$shape-f16.gguf ;;
      q8_0|q4_0)
        if [ -n "$LQ" ]; then
          src=$models/$shape-$d.gguf
          [ -s "$src" ] || "$LQ" --pure "$models/$shape-f32.gguf" "$src" "$(echo $d | tr a-z A-Z)" > "$work/quant.log" 2>&1 ||
            { echo "bench: llama-quantize failed: $(tail -1 "$work/quant.log")"; exit 1; }
        else dflag="--dtype $d"; fi ;;
      q4_k_m|q5_k_m|q6_k|q3_k_m|q2_k)  # llama.cpp's K-quant mixes (Q4_K_M: Q4_K, Q6_K; Q5_0 where rows are not whole 256-blocks), kept as stored
        [ -n "$LQ" ] || { echo "bench: $d needs LLAMA_CPP=DIR (llama-quantize)"; continue; }
        src=$models/$shape-$d.gguf
        [ -s "$src" ] || "$LQ" "$models/$shape-f32.gguf" "$src" "$(echo $d | tr a-z A-Z)" > "$work/quant.log" 2>&1 ||
          { echo "bench: llama-quantize failed: $(tail -1 "$work/quant.log")"; exit 1; } ;;
    esac
    bin=$work/$shape-$d
    # shellcheck disable=SC2086
    /usr/bin/time -f '%e %M' -o "$work/ct" "$VENUSC" compile "$src" -o "$bin" $dflag --kv-dtype "$KV_DTYPE" > "$work/cc.log" 2>&1 ||
      { echo "bench: venusc compile $src failed: $(tail -1 "$work/cc.log")"; exit 1; }
    cs=$(cut -d' ' -f1 "$work/ct"); crss=$(( $(cut -d' ' -f2 "$work/ct") / 1024 ))
    bbytes=$(wc -c < "$bin"); wbytes=$(wc -c < "$bin.vnw")
    roof=$(echo "$BW $mat $bpe" | awk '{ printf "%.1f", $1 * 1e9 / ($2 * $3) }')
    # time to first token and peak RSS (--ctx 2048), warm page cache
    "$bin" --ids "$IDS16" -n 1 --temp 0 --print-ids > /dev/null 2>&1
    tt=""; for r in 1 2 3; do t0=$(now); "$bin" --ids "$IDS16" -n 1 --temp 0 --print-ids > /dev/null 2>&1; tt="$tt $(echo "$(now) - $t0" | bc)"; done
    ttft=$(printf "%s\n" $tt | sort -g | head -1 | awk "{ printf \"%.3f\", \$1 }")
    /usr/bin/time -f '%M' -o "$work/rss" "$bin" --ids "$IDS16" -n 1 --temp 0 --print-ids --ctx 2048 > /dev/null 2>&1
    rss=$(( $(cat "$work/rss") / 1024 ))
    # the bound: weights + the KV cache at 2048 positions + 64 MiB
    srow=$("$VENUSC" inspect "$src" --kv-dtype "$KV_DTYPE" 2>/dev/null | sed -n 's/^state: *\([0-9]*\) bytes per context position.*/\1/p')
    rbound=$(( (wbytes + ${srow:-0} * 2048) / 1048576 + 64 ))
    for t in $THREADS; do
      pv="" dv="" d8="" pl="" dl=""
      for r in $(seq "$REPS"); do
        "$bin" --ids "$IDS128" -n 65 --temp 0 --print-ids --stats -t "$t" 2> "$work/st" > /dev/null
        pv="$pv $(sed -n 's/^prefill:.* \([0-9.]*\) tokens\/s/\1/p' "$work/st")"
        d8="$d8 $(sed -n 's/^decode:.* \([0-9.]*\) tokens\/s/\1/p' "$work/st")"
        "$bin" --ids "${IDS128%%,*}" -n 65 --temp 0 --print-ids --stats -t "$t" 2> "$work/st" > /dev/null
        dv="$dv $(sed -n 's/^decode:.* \([0-9.]*\) tokens\/s/\1/p' "$work/st")"
        if [ -n "$LB" ]; then
          "$LB" -m "$src" -p 128 -n 64 -r 3 -mmp 0 -t "$t" -o csv > "$work/lb.csv" 2> "$work/lb.err"
          # shellcheck disable=SC2046
          set -- $(python3 - "$work/lb.csv" <<'EOF'
import csv, sys
pp = tg = "-"
build = "?"
for r in csv.DictReader(open(sys.argv[1])):
    if r.get("n_prompt") == "128" and r.get("n_gen") == "0": pp = "%.1f" % float(r["avg_ts"])
    if r.get("n_prompt") == "0" and r.get("n_gen") == "64": tg = "%.1f" % float(r["avg_ts"])
    if r.get("build_commit"): build = "%s (build %s)" % (r["build_commit"], r.get("build_number", "?"))
print(pp, tg, build.replace(" ", "_"))
EOF
)
          pl="$pl ${1:--}" dl="$dl ${2:--}"
          # the commit llama-bench reports, when the build tree is not a git checkout
          if [ -z "$lcommit" ] && [ "${3:-?}" != "?" ] && [ "${3#unknown}" = "${3:-?}" ]; then lcommit=$(echo "$3" | tr _ ' '); fi
        fi
      done
      P=$(best $pv) D=$(best $dv) D8=$(best $d8) PL=$(best $pl) DL=$(best $dl)
      frac=$(ratio "$D" "$roof")
      pg=$(case $P in -) echo - ;; *) echo "$P $flops" | awk '{ printf "%.1f", $1 * $2 / 1e9 }' ;; esac)
      printf '%-5s %3s | %9s %9s %6s | %8s %8s %6s %8s | %8s %6s | %6.3f %7s\n' $d $t "$P" "$PL" "$(ratio "$P" "$PL")" \
        "$D" "$DL" "$(ratio "$D" "$DL")" "$D8" "$roof" "$frac" "$ttft" "$rss"
      echo "$shape,$d,$t,$P,$PL,$D,$DL,$D8,$roof,$frac,$sg,$pg,$ttft,$rss,$rbound,$KV_DTYPE,$cs,$crss,$bbytes,$wbytes" >> "$csv"
    done
    printf '      compile %s s, %s MB peak; binary %s B, weights %s MB; peak RSS %s MB at --ctx 2048 (bound %s MB, KV %s)\n' \
      "$cs" "$crss" "$bbytes" $((wbytes / 1048576)) "$rss" "$rbound" "$KV_DTYPE"
  done
done

python3 - "$csv" "$out/results.json" "$BW" "$cpu" "${lcommit:-}" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
json.dump({"cpu": sys.argv[4], "read_bandwidth_gbs": float(sys.argv[3]), "llama_cpp_commit": sys.argv[5] or None,
           "results": rows}, open(sys.argv[2], "w"), indent=1)
EOF
if command -v gnuplot >/dev/null 2>&1; then
  awk -F, 'NR > 1 { print $1 "-" $2 "-t" $3, ($4 == "-" ? 0 : $4), ($5 == "-" ? 0 : $5), ($6 == "-" ? 0 : $6), ($7 == "-" ? 0 : $7), $9 }' "$csv" > "$work/plot.dat"
  gnuplot <<EOF 2>/dev/null && echo "chart: $out/results.png"
set terminal png size 1400,700 noenhanced
set output "$out/results.png"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set xtics rotate by -45
set ylabel "tokens/s"
set key outside top center horizontal
set multiplot layout 1,2
set title "prefill (128 tokens)"
plot "$work/plot.dat" using 2:xtic(1) title "venus", "" using 3 title "llama.cpp"
set title "decode (64 tokens from an empty context)"
plot "$work/plot.dat" using 4:xtic(1) title "venus", "" using 5 title "llama.cpp", "" using 6 title "roofline"
unset multiplot
EOF
else echo "chart: gnuplot is not installed (apt-get install gnuplot-nox); results.csv and results.json written"; fi
[ -n "$LB" ] && echo "llama.cpp: commit ${lcommit:-?}"
echo "results: $csv, $out/results.json"
if [ -z "${BENCH_NO_TINY:-}" ]; then echo; bench/tiny.sh; fi
