#!/bin/sh
# cross-deps.sh: the cross toolchains and emulators of the cross targets
# (`venusc targets`; docs/targets.md): gcc cross compilers with their C
# libraries, clang 19 (riscv64, loongarch64), emscripten (wasm32),
# arm-none-eabi with newlib (Cortex-M), qemu-user and qemu-system-arm.
# About 600 MB to download, 3.5 GB on disk, so only CI and
# `make test-targets` ask for it; `make test` skips the targets whose
# toolchain is missing. As root it installs what is missing with apt-get;
# otherwise it prints the exact install line and fails.
PKGS="qemu-user-static qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi
 gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross
 gcc-powerpc-linux-gnu libc6-dev-powerpc-cross gcc-s390x-linux-gnu libc6-dev-s390x-cross
 gcc-mips64el-linux-gnuabi64 libc6-dev-mips64el-cross gcc-mipsel-linux-gnu libc6-dev-mipsel-cross
 gcc-sparc64-linux-gnu libc6-dev-sparc64-cross clang lld clang-19 lld-19 emscripten nodejs"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "cross-deps: installing$missing"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "cross-deps: apt-get install failed for:$missing" >&2; exit 1; }
else
  echo "cross-deps: missing Debian packages:$missing" >&2
  echo "cross-deps: install them with:  sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
