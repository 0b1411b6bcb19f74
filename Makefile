# venus: build venusc (the compiler), run the demo and the tests.
#   make            build ./venusc
#   make demo       compile examples/tiny-kjv and generate text
#   make test       every test area (tests/run.sh all)
#   make test-targets  the cross targets alone (installs their toolchains as root)
#   make bench      benchmarks
#   make install    PREFIX=/usr/local DESTDIR=
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
PKGS    := lua5.4 jansson libutf8proc libffi

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs lua5.4 jansson libutf8proc 2>/dev/null)
VN_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
              -I. -Igraph -Iops -Ifrontend -Itok -Icodegen -Iruntime -Itargets $(PKG_CFLAGS)

# venusc links the runtime's tokenizer so that `venusc tokenize` runs the
# model binary's own code, and its weight file format (wfile.c) so that
# `venusc verify` checks a weight file as the binary does.
VENUSC_SRC := $(wildcard graph/*.c ops/*.c ops/ref/*.c frontend/*.c tok/*.c codegen/*.c targets/*.c) runtime/tokenizer.c \
  runtime/wfile.c
VENUSC_OBJ := $(patsubst %.c,build/%.o,$(VENUSC_SRC)) build/embedded.o

# Specs, runtime and target sources are compiled into venusc, so that it
# needs no data files at run time.
EMBED_FILES := $(sort $(wildcard archspecs/*.lua archspecs/lib/*.lua)) \
  runtime/runtime.h runtime/tokenizer.h runtime/cli.c runtime/kernels.c runtime/threads.c \
  runtime/weights.c runtime/sampler.c runtime/tokenizer.c runtime/chat.c runtime/wfile.c runtime/cpu.c $(sort $(wildcard targets/*/*.h)) \
  $(sort $(wildcard targets/*/*/*.c targets/*/*/*.ld))

all: venusc

venusc: $(VENUSC_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm -ldl

build/embed: tools/embed.c
	@mkdir -p build
	$(CC) -O2 -o $@ $<

build/embedded.c: build/embed $(EMBED_FILES)
	build/embed $@ $(EMBED_FILES)

build/embedded.o: build/embedded.c
	$(CC) $(CFLAGS) -c -o $@ $<

build/%.o: %.c $(wildcard */*.h runtime/*.h ops/*.def)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(VN_CFLAGS) -c -o $@ $<

deps:
	@tools/deps.sh

# The demo: compile the example model and continue "In the beginning".
demo: deps
	@$(MAKE) --no-print-directory venusc
	./venusc compile examples/tiny-kjv -o build/tiny-kjv -v
	build/tiny-kjv -p "In the beginning" -n 48 --temp 0 --stats

test: deps
	@$(MAKE) --no-print-directory venusc
	tests/run.sh all

# the cross targets alone (tests/targets); tools/cross-deps.sh installs their
# toolchains and emulators when run as root, and targets without them are skipped
test-targets: deps
	@-tools/cross-deps.sh
	@$(MAKE) --no-print-directory venusc
	tests/run.sh targets

bench: deps
	@$(MAKE) --no-print-directory venusc
	bench/run.sh

install: venusc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/venus/archspecs/lib $(DESTDIR)$(PREFIX)/share/doc/venus
	install -m 755 venusc $(DESTDIR)$(PREFIX)/bin/venusc
	install -m 644 archspecs/*.lua $(DESTDIR)$(PREFIX)/share/venus/archspecs/
	install -m 644 archspecs/lib/*.lua $(DESTDIR)$(PREFIX)/share/venus/archspecs/lib/
	install -m 644 README.md $(wildcard docs/*.md) $(DESTDIR)$(PREFIX)/share/doc/venus/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/venusc
	rm -rf $(DESTDIR)$(PREFIX)/share/venus $(DESTDIR)$(PREFIX)/share/doc/venus

clean:
	rm -rf build venusc tests/out

.PHONY: all deps demo test test-targets bench install uninstall clean
