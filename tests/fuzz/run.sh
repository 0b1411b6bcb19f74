#!/bin/sh
# tests/fuzz/run.sh SECONDS TARGET...: run each libFuzzer target
# build/fuzz/fuzz_TARGET (built by `make fuzz`) for SECONDS, two at a time
# (FUZZ_JOBS), and print per target the executions, coverage and findings.
# Corpus: build/fuzz/corpus/TARGET (grows between runs) over the seeds in
# tests/fuzz/seeds/TARGET (and build/fuzz/seeds-TARGET, made by the build).
# A finding (crash, leak, timeout, out-of-memory) is kept as
# build/fuzz/findings/TARGET/<kind>-<sha1> and fails the run; once fixed it
# belongs in tests/errors/regress/TARGET/ (the errors area replays it).
# Extra libFuzzer flags: FUZZ_FLAGS. Logs: build/fuzz/log/TARGET.log.
cd "$(dirname "$0")/../.." || exit 2
[ $# -ge 2 ] || { echo "usage: tests/fuzz/run.sh SECONDS TARGET..."; exit 2; }
secs=$1; shift
jobs=${FUZZ_JOBS:-2}
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p build/fuzz/log

findings() { ls "$1" | grep -cE '^(crash|leak|timeout|oom)-'; }

one() {
  t=$1
  bin=build/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz: $t: $bin is not built (make fuzz builds it)"; return 1; }
  corpus=build/fuzz/corpus/$t; found=build/fuzz/findings/$t; tmp=build/fuzz/tmp/$t
  mkdir -p "$corpus" "$found" "$tmp"
  seeds=""
  for s in tests/fuzz/seeds/$t build/fuzz/seeds-$t; do [ -d "$s" ] && seeds="$seeds $s"; done
  dict=""; [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
  mask=1; [ "$t" = cli ] && mask=3  # the model binary's own messages are noise here
  # findings: crash-, leak-, timeout-, oom- (a slow-unit- file is libFuzzer's
  # note of an input over 10 s, which a loaded machine writes for inputs that
  # take under a second alone; a real hang is a timeout- at -timeout=20)
  before=$(findings "$found")
  # shellcheck disable=SC2086
  TMPDIR=$PWD/$tmp "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 -close_fd_mask=$mask \
    -print_final_stats=1 -artifact_prefix="$found/" $dict ${FUZZ_FLAGS:-} "$corpus" $seeds > "build/fuzz/log/$t.log" 2>&1
  rc=$?
  rm -rf "$tmp"
  after=$(findings "$found")
  stats=$(grep -E '^#[0-9]+' "build/fuzz/log/$t.log" | tail -1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build/fuzz/log/$t.log" | tail -1)
  cov=$(echo "$stats" | sed -n 's/.* cov: \([0-9]*\).*/\1/p'); ft=$(echo "$stats" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$stats" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
  new=$((after - before))
  if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
    echo "FAIL  fuzz $t: ${execs:-?} runs in ${secs}s, cov ${cov:-?}, exit $rc, $new new finding(s) in $found/ (log: build/fuzz/log/$t.log)"
    grep -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|^fuzz: ' "build/fuzz/log/$t.log" | head -5 | sed 's/^/      /'
    return 1
  fi
  echo "ok    fuzz $t: ${execs:-?} runs in ${secs}s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, no findings"
}

targets="$*"
pids=""
for t in $targets; do
  one "$t" > "build/fuzz/log/$t.result" 2>&1 &
  pids="$pids $!"
  # at most $jobs at once: wait for the oldest
  # shellcheck disable=SC2086
  if [ $(echo $pids | wc -w) -ge "$jobs" ]; then set -- $pids; wait "$1"; shift; pids="$*"; fi
done
wait
fail=0
for t in $targets; do
  cat "build/fuzz/log/$t.result"
  grep -q '^ok ' "build/fuzz/log/$t.result" || fail=$((fail + 1))
done
[ "$fail" -eq 0 ] || { echo "fuzz: $fail target(s) FAILED"; exit 1; }
echo "fuzz: no findings ($targets, ${secs}s each)"
