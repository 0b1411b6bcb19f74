#!/bin/sh
# deps.sh: make sure the Debian packages venus builds and tests with are here.
# As root it installs what is missing with apt-get; otherwise it prints the
# exact install line and fails (python3-jinja2 is the chat-template tests' oracle).
# `deps.sh fuzz` adds clang and its libFuzzer
# runtime (make fuzz); `deps.sh bench` adds gnuplot-nox (make bench's chart).
PKGS="build-essential pkg-config liblua5.4-dev libjansson-dev libutf8proc-dev libffi-dev libopenblas-dev libmicrohttpd-dev libedit-dev libpng-dev libjpeg62-turbo-dev python3 python3-jinja2 bc curl wrk"
[ "${1:-}" = fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev"
[ "${1:-}" = bench ] && PKGS="$PKGS gnuplot-nox"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing$missing"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
else
  echo "deps: missing Debian packages:$missing" >&2
  echo "deps: install them with:  sudo apt-get install -y$missing" >&2
  exit 1
fi
