#!/bin/sh
# tests/targets/run.sh [TARGET...]: every target of `venusc targets` whose
# toolchain is installed here (default: all), checked where it runs.
#  - kernels: tests/targets/kernel_test.c built with the target's compiler
#    and flags beside its micro-kernel header (vn_target.h), run natively,
#    under qemu-user, node or qemu-system-arm (semihosting): every
#    micro-kernel and the matmul kernel against scalar loops, ragged tails.
#    A target whose compiler is here but not its C library (loongarch64)
#    is compiled only, against tests/targets/freestanding.
#  - end to end (cross targets): the llama, qwen2, mixtral and mamba
#    fixtures of tests/fixtures/hf and hf2 (TARGETS_FIXTURES overrides the
#    list) compiled with --target and held to
#    transformers' logits and greedy ids by tests/parity/check.py under the
#    target's runner; then the speed (--stats) and binary size of hf/llama.
#    Host targets are left to the ops and parity areas. Linux targets also
#    run two encoder-decoder cases (TARGETS_S2S) through check_s2s.py.
#  - big-endian targets also: a little-endian weight file is refused.
#  - bare metal also: the flash/RAM venusc reports, and that the runtime's
#    objects call no malloc; aarch64 and cortex-m4 also: the --emit-c tree
#    builds with its Makefile (aarch64 with clang, a compiler venus does not
#    use for it) into a binary that gives the same greedy ids.
# A target without its toolchain or emulator is skipped with a line saying
# why (tools/cross-deps.sh installs them). TARGETS_JOBS sets parallelism;
# TARGETS_KERNELS_ONLY=1 runs the kernel tests alone.
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "targets: build ./venusc first (make)"; exit 2; }
if [ -n "${TARGETS_WORK:-}" ]; then work=$TARGETS_WORK  # one target of a parallel run
else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
root=$(pwd)
# fields are tab-separated; '|' (not a blank) keeps empty ones apart for read
[ -s "$work/table" ] || ./venusc targets --tsv | tail -n +2 | tr '\t' '|' > "$work/table" || exit 2
FIXTURES=${TARGETS_FIXTURES:-"tests/fixtures/hf/llama tests/fixtures/hf/qwen2 tests/fixtures/hf2/llama tests/fixtures/hf2/qwen2
  tests/fixtures/hf/mixtral tests/fixtures/hf2/mixtral tests/fixtures/hf/mamba tests/fixtures/hf2/mamba"}
IDS=$(python3 -c 'import json; print(",".join(map(str, json.load(open("tests/fixtures/hf/llama/reference.json"))["input_ids"])))')
start=$(date +%s)

# one target: everything it prints goes to $work/NAME.log, "ok"/"FAIL"/"skip" to $work/NAME.status
one() {
  IFS='|' read -r name kind triple be inst rinst cc cflags ldflags header board runner <<EOF2
$(grep "^$1|" "$work/table")
EOF2
  w="$work/$name"; mkdir -p "$w"
  log="$work/$name.log"; st="$work/$name.status"
  echo fail > "$st"
  exec >"$log" 2>&1
  fail=0
  note() { echo "$name: $*"; }
  bad() { echo "FAIL $name: $*"; fail=1; }
  common="-O2 -std=gnu11 -fno-strict-aliasing -DVN_NO_THREADS"
  cp "targets/$header" "$w/vn_target.h"
  # the command that runs a program of this target here
  case $kind in
    bare) run="tests/targets/semihost.sh ${runner##* -M }" ;;
    wasm) run="node" ;;
    *) run=$runner ;;
  esac
  prog=$(printf '%s\n' $cc | grep -v = | head -1)  # the compiler, past VAR=value words
  if [ "$inst" != 1 ]; then
    # compiler present but no C library: compile only
    if command -v "$prog" >/dev/null 2>&1 && [ "$kind" = linux ]; then
      for h in "$header" generic/generic.h; do
        d="$w/$(echo "$h" | tr / _)"; mkdir -p "$d"; cp "targets/$h" "$d/vn_target.h"
        fl=$cflags; [ "$h" = generic/generic.h ] && fl=$(echo "$cflags" | sed 's/-mlsx/-mno-lsx/')
        # shellcheck disable=SC2086
        if $cc $common $fl -ffreestanding -Itests/targets/freestanding -I"$d" -Iruntime -c -o "$d/kt.o" tests/targets/kernel_test.c; then
          note "kernels ($h, $fl) compile (build only: no C library for $triple here, nothing is run)"
        else bad "kernels ($h) do not compile"; fi
      done
      [ $fail = 0 ] && echo "build-only" > "$st"
      return
    fi
    note "skipped: toolchain not installed ($prog$(command -v "$prog" >/dev/null 2>&1 && echo ": its C library is missing"); tools/cross-deps.sh installs it)"
    echo skip > "$st"; return
  fi
  if [ "$rinst" != 1 ]; then
    note "skipped: emulator not installed (${runner%% *}; tools/cross-deps.sh installs it)"
    echo skip > "$st"; return
  fi
  if [ -z "$runner" ]; then  # host target: its CPU must have the ISA
    for f in $(echo "$cflags" | tr ' ' '\n' | sed -n 's/^-m\(avx[0-9a-z]*\|fma\|f16c\)$/\1/p' | sed 's/avx512vnni/avx512_vnni/'); do
      grep -qw "$f" /proc/cpuinfo || { note "skipped: this CPU lacks $f"; echo skip > "$st"; return; }
    done
  fi
  # ---- kernels ----
  t0=$(date +%s)
  src=tests/targets/kernel_test.c
  # shellcheck disable=SC2086
  case $kind in
    linux) $cc $common $cflags -I"$w" -Iruntime -o "$w/kt" $src $ldflags -lm && ktrun="$run $w/kt" ;;
    wasm) env $cc $common $cflags -DVN_NO_MMAP -I"$w" -Iruntime -o "$w/kt.js" $src -sENVIRONMENT=node -sEXIT_RUNTIME=1 -sSINGLE_FILE=1 && ktrun="node $w/kt.js" ;;
    bare) $cc $common -DVN_BAREMETAL $cflags -I"$w" -Iruntime -o "$w/kt" $src targets/arm/cortexm/startup.c -T "targets/$board" $ldflags -lm && ktrun="$run $w/kt" ;;
  esac || { bad "kernel test does not build"; }
  if [ $fail = 0 ]; then
    $ktrun > "$w/kt.out" 2>&1; rc=$?
    sed -n '1s/^micro-kernels of vn_target.h: /kernels used: /p' "$w/kt.out" | sed "s/^/$name: /"
    if [ $rc = 0 ] && tail -1 "$w/kt.out" | grep -q '^ok:'; then note "kernel test $(tail -1 "$w/kt.out") ($(( $(date +%s) - t0 ))s)"
    else bad "kernel test (exit $rc):"; tail -5 "$w/kt.out"; fi
    # vector-length agnostic kernels: also at the other vector lengths
    case $name in
      aarch64-sve) vls="qemu-aarch64-static -cpu max,sve-default-vector-length=16|qemu-aarch64-static -cpu max,sve-default-vector-length=64" ;;
      riscv64) vls="qemu-riscv64-static -cpu rv64,v=true,vlen=256,elen=64,vext_spec=v1.0|qemu-riscv64-static -cpu rv64,v=true,vlen=512,elen=64,vext_spec=v1.0" ;;
      *) vls="" ;;
    esac
    echo "$vls" | tr '|' '\n' | while read -r r; do
      [ -n "$r" ] || continue
      if $r "$w/kt" > "$w/kt2.out" 2>&1 && tail -1 "$w/kt2.out" | grep -q '^ok:'; then note "kernel test under $r: ok"
      else echo "FAIL $name: kernel test under $r:"; tail -3 "$w/kt2.out"; echo x > "$w/vlfail"; fi
    done
    [ -e "$w/vlfail" ] && fail=1
  fi
  [ -z "$runner" ] && { [ $fail = 0 ] && echo ok > "$st"; note "(host target: models are checked by the parity area)"; return; }
  # TARGETS_KERNELS_ONLY=1: the kernel test alone (no fixtures end to end)
  [ -n "${TARGETS_KERNELS_ONLY:-}" ] && { [ $fail = 0 ] && echo ok > "$st"; note "(kernels only: TARGETS_KERNELS_ONLY)"; return; }
  # ---- end to end ----
  case $kind in wasm) crun="" ;; *) crun=$run ;; esac
  for c in $FIXTURES; do
    python3 tests/parity/check.py ./venusc "$c" "$w/e2e" --target "$name" --runner "$crun" || fail=1
  done
  # encoder-decoders (ids and float features in, cross attention, relative
  # position bias, the convolution front end) on the targets with a file system
  if [ "$kind" = linux ]; then
    for c in ${TARGETS_S2S:-tests/fixtures/seq2seq/public2/t5 tests/fixtures/seq2seq/public/whisper}; do
      python3 tests/parity/check_s2s.py ./venusc "$c" "$w/e2e" --target "$name" --runner "$crun" || fail=1
    done
  fi
  out="$w/e2e/hf_llama_$(echo "$name" | tr - _)"
  [ -e "$out" ] || out="$w/e2e/hf_llama_$name"
  if [ -e "$out" ]; then
    s=$($crun "$out" --ids "$IDS" -n 16 --temp 0 --print-ids --stats 2>&1 >/dev/null | tr '\n' ' ')
    pre=$(echo "$s" | sed -n 's/.*prefill: [0-9]* tokens in [0-9.]* s, \([0-9.]*\) tokens\/s.*/\1/p')
    dec=$(echo "$s" | sed -n 's/.*decode: *[0-9]* tokens in [0-9.]* s, \([0-9.]*\) tokens\/s.*/\1/p')
    note "hf/llama emulated: prefill ${pre:-?} tokens/s, decode ${dec:-?} tokens/s; binary $(wc -c < "$out") bytes"
  fi
  if [ "$be" = 1 ] && [ -e "$out" ]; then
    ./venusc compile tests/fixtures/hf/llama -o "$w/host-llama" --target generic >/dev/null &&
      msg=$($crun "$out" --ids 1,2,3 --logits "$w/x.f32" --weights "$w/host-llama.vnw" 2>&1)
    case $msg in
      *"other byte order"*) note "refuses a little-endian weight file: ${msg#*: }" ;;
      *) bad "took a little-endian weight file: $msg" ;;
    esac
  fi
  if [ "$kind" = bare ]; then
    ./venusc compile tests/fixtures/hf/llama -o "$w/llama" --target "$name" --emit-c "$w/tree" | sed "s/^/$name: hf\/llama: /"
    # the runtime itself allocates nothing: no heap calls in its objects
    # (sampler.c's vn_sampler_init is not linked in: cli.c gives it pool memory)
    objs=""
    for f in model cli weights kernels threads tokenizer; do
      # shellcheck disable=SC2086
      $cc -O2 -std=gnu11 -DVN_BAREMETAL -DVN_NO_THREADS -DVN_NO_MMAP $cflags -I"$w/tree" -c -o "$w/tree/$f.o" "$w/tree/$f.c" && objs="$objs $w/tree/$f.o"
    done
    # shellcheck disable=SC2086
    heap=$(arm-none-eabi-nm -u $objs | grep -wE 'malloc|calloc|realloc|free|_malloc_r|_sbrk' | sort -u | tr '\n' ' ')
    # and the two that do allocate (vn_sampler_init, chat.c: --chat is refused on bare metal) are not linked in
    linked=$(arm-none-eabi-nm "$w/llama" | grep -wcE 'vn_sampler_init|vn_chat_turn')
    if [ -z "$heap" ] && [ "$linked" = 0 ]; then note "no malloc/free in the runtime's objects (model cli weights kernels threads tokenizer; vn_sampler_init and chat.c not linked)"
    else bad "heap use in the bare-metal runtime: $heap (allocating functions linked: $linked)"; fi
  fi
  if [ "$name" = aarch64 ] || [ "$name" = cortex-m4 ]; then
    d="$w/emit"; ./venusc compile tests/fixtures/hf/llama --target "$name" --emit-c "$d" -o "$w/emitted-venusc" >/dev/null
    want=$($crun "$w/emitted-venusc" --ids "$IDS" -n 8 --temp 0 --print-ids 2>/dev/null)
    [ -e "$w/emitted-venusc.vnw" ] && cp "$w/emitted-venusc.vnw" "$d/"
    mk=""; [ "$name" = aarch64 ] && command -v clang-19 >/dev/null && mk="CC=clang-19 --target=aarch64-linux-gnu"
    if (cd "$d" && rm -f emitted-venusc && make -s ${mk:+"$mk"} >/dev/null 2>&1); then
      got=$($crun "$d/emitted-venusc" --ids "$IDS" -n 8 --temp 0 --print-ids 2>/dev/null)
      if [ -n "$got" ] && [ "$got" = "$want" ]; then note "--emit-c tree builds with make ${mk:-(its own CC)} and gives the same greedy ids"
      else bad "--emit-c tree's binary gives '$got', venusc's '$want'"; fi
    else bad "--emit-c tree does not build with make ${mk}"; fi
  fi
  [ $fail = 0 ] && echo ok > "$st"
  note "done in $(( $(date +%s) - t0 ))s"
}

if [ "${1:-}" = --one ]; then one "$2"; exit 0; fi  # (xargs calls back for one target)
if [ $# -eq 0 ]; then set -- $(cut -d'|' -f1 "$work/table"); fi
for t in "$@"; do grep -q "^$t|" "$work/table" || { echo "targets: no target named $t (venusc targets lists them)"; exit 2; }; done
jobs=${TARGETS_JOBS:-$(nproc 2>/dev/null || echo 2)}
printf '%s\n' "$@" | TARGETS_WORK=$work xargs -P "$jobs" -I{} "$0" --one {}
ok=0; skip=0; bo=0; failed=""
for t in "$@"; do
  cat "$work/$t.log"
  case $(cat "$work/$t.status" 2>/dev/null) in
    ok) ok=$((ok + 1)) ;;
    skip) skip=$((skip + 1)) ;;
    build-only) bo=$((bo + 1)) ;;
    *) failed="$failed $t" ;;
  esac
done
echo "targets: $ok passed, $bo build-only, $skip skipped, $(echo $failed | wc -w) failed$( [ -n "$failed" ] && echo ":$failed") ($(( $(date +%s) - start ))s)"
[ -z "$failed" ]
