#!/bin/sh
# tests/cli/stress.sh [RUNS] [SEED]: `make test-stress`. The demo model
# compiled with AddressSanitizer + UndefinedBehaviorSanitizer (through CC,
# which venusc honours for host targets), then RUNS invocations with random
# flags (tests/cli/stress.py; default 1000). A sanitizer report exits 86 and
# fails its run.
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "stress: build ./venusc first (make)"; exit 2; }
runs=${1:-1000}; seed=${2:-1}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
real_cc=$(command -v cc) || { echo "stress: no cc"; exit 2; }
cat > "$work/cc" <<EOS
#!/bin/sh
exec "$real_cc" "\$@" -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
EOS
chmod +x "$work/cc"
CC=$work/cc ./venusc compile examples/tiny-kjv -o "$work/kjv" || { echo "stress: compiling the demo model under ASan failed"; exit 1; }
export ASAN_OPTIONS="exitcode=86:detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="exitcode=86:halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="exitcode=86"
python3 tests/cli/stress.py "$work/kjv" "$runs" "$seed"
