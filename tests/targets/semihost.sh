#!/bin/sh
# tests/targets/semihost.sh MACHINE ELF [ARGS...]: run a bare-metal
# Cortex-M binary under qemu-system-arm with semihosting, the way a model
# binary is run natively: ARGS become its argv (each one -semihosting-config
# arg=, commas doubled for QEMU's option parser, arguments with spaces or
# quotes quoted for the startup's command-line splitter), files named in
# ARGS are read and written on the host (target=native), and the exit
# status is the program's. Used as check.py's --runner.
[ $# -ge 2 ] || { echo "usage: $0 MACHINE ELF [ARGS...]" >&2; exit 2; }
m=$1; shift
cfg="enable=on,target=native"
for a in "$@"; do
  case $a in
    *[\ \"\'\\]*) a="\"$(printf '%s' "$a" | sed 's/[\\"]/\\&/g')\"" ;;
  esac
  cfg="$cfg,arg=$(printf '%s' "$a" | sed 's/,/,,/g')"
done
exec qemu-system-arm -M "$m" -nographic -monitor none -serial null -semihosting-config "$cfg" -kernel "$1"
