#!/bin/sh
# tests/fuzz/sanitize.sh [AREA...]: `make test-sanitize`. Runs the test areas
# (all but the cross targets, or those named) with venusc, the test harnesses
# and every model binary venusc compiles built with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer.
#
# How, without a hook in the sources: a copy of the working tree (git's
# tracked and untracked-but-not-ignored files; the fixtures are linked, not
# copied) is built and tested in build/sanitize/tree with build/sanitize/bin
# first in PATH, where `cc` is the system compiler plus the sanitizer flags.
# The Makefile, the test scripts and venusc's host targets all call `cc`, so
# all of it is instrumented; the cross compilers are not touched. The
# working tree's own build is left alone. A sanitizer finding exits 86 with
# its report on stderr, which fails the test that ran it.
#
# Everything is built at -O1 (the level AddressSanitizer's documentation
# recommends): GCC 12 takes 113 s for runtime/kernels.c at -O2 with both
# sanitizers and 10 s at -O1, and a model binary compiles it once per
# target. ASan's quarantine of freed memory is capped at 16 MiB, so that
# tests of a bounded RSS (the server under load) still measure the
# program, not the quarantine.
cd "$(dirname "$0")/../.." || exit 2
root=$PWD
S=$root/build/sanitize
areas="$*"
[ -n "$areas" ] || areas=$(sed -n 's/^AREAS="\(.*\)"/\1/p' tests/run.sh | tr ' ' '\n' | grep -vx targets | paste -sd' ')
real_cc=$(command -v cc) || { echo "test-sanitize: no cc"; exit 2; }
case "$real_cc" in "$S"/*) echo "test-sanitize: already inside a sanitizer run"; exit 2;; esac
echo 'int main(void) { return 0; }' > /tmp/vn_san_probe.$$.c
if ! "$real_cc" -fsanitize=address,undefined -o /tmp/vn_san_probe.$$ /tmp/vn_san_probe.$$.c 2>/dev/null; then
  rm -f /tmp/vn_san_probe.$$ /tmp/vn_san_probe.$$.c
  echo "test-sanitize: $real_cc cannot build with -fsanitize=address,undefined (Debian: gcc's libasan and libubsan)"; exit 2
fi
rm -f /tmp/vn_san_probe.$$ /tmp/vn_san_probe.$$.c

rm -rf "$S/tree" "$S/bin" && mkdir -p "$S/tree" "$S/bin" || exit 2
cat > "$S/bin/cc" <<EOS
#!/bin/sh
exec "$real_cc" "\$@" -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1
EOS
chmod +x "$S/bin/cc"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard | grep -zv '^tests/fixtures/' |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$S/tree" || exit 2
else
  tar --exclude=./build --exclude=./.cache --exclude=./tests/fixtures -cf - . | tar -xf - -C "$S/tree" || exit 2
fi
ln -s "$root/tests/fixtures" "$S/tree/tests/fixtures"
mkdir -p "$root/.cache" && ln -s "$root/.cache" "$S/tree/.cache"  # fetched tokenizers are shared

export PATH="$S/bin:$PATH"
export ASAN_OPTIONS="exitcode=86:detect_leaks=1:abort_on_error=0:allocator_may_return_null=1:quarantine_size_mb=16"
export UBSAN_OPTIONS="exitcode=86:halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="exitcode=86"
cd "$S/tree" || exit 2
t0=$(date +%s)
make -s -j2 venusc >"$S/build.log" 2>&1 || { tail -20 "$S/build.log"; echo "test-sanitize: building venusc failed"; exit 1; }
# each area on its own, with its wall time and the CPU time of everything it
# ran (what an area adds to CI, on a loaded machine too)
# (times runs in this shell, not a subshell, to see its children's CPU)
cpu() { times > "$S/times"; CPU=$(sed -n 2p "$S/times" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); n += p[1] * 60 + p[2] } printf "%d", n }'); }
rc=0 fail=""
for a in $areas; do
  ta=$(date +%s); cpu; ca=$CPU
  tests/run.sh "$a" || { rc=1; fail="$fail $a"; }
  cpu
  echo "test-sanitize: $a $(( $(date +%s) - ta )) s wall, $(( CPU - ca )) s CPU"
done
echo "test-sanitize: $(( $(date +%s) - t0 )) s (areas: $areas)${fail:+; FAILED:$fail}"
exit $rc
