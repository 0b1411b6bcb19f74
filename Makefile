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

# The folders of venusc's sources: the one list. Their .c files are compiled
# and each is an include folder (with runtime/, whose headers venusc reads).
VENUSC_DIRS := graph ops frontend tok codegen targets

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs lua5.4 jansson libutf8proc 2>/dev/null)
VN_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
              -I. $(addprefix -I,$(VENUSC_DIRS) runtime) $(PKG_CFLAGS)

# venusc links the runtime's tokenizer so that `venusc tokenize` runs the
# model binary's own code, and its weight file format (wfile.c) so that
# `venusc verify` checks a weight file as the binary does, and its chat-template
# interpreter (jinja.c) so that venusc checks and renders templates as the binary does.
VENUSC_SRC := $(wildcard $(addsuffix /*.c,$(VENUSC_DIRS))) runtime/tokenizer.c runtime/wfile.c runtime/jinja.c
VENUSC_OBJ := $(patsubst %.c,build/%.o,$(VENUSC_SRC)) build/embedded.o

# Specs, runtime and target sources are compiled into venusc, so that it
# needs no data files at run time. Every .c and .h of runtime/ is embedded,
# and codegen/build.c copies every embedded runtime/ file into a model's
# build tree: a new runtime file is in both by being there.
EMBED_FILES := $(sort $(wildcard archspecs/*.lua archspecs/lib/*.lua runtime/*.c runtime/*.h targets/*/*.h \
  targets/*/*/*.c targets/*/*/*.ld))

all: venusc

venusc: $(VENUSC_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm -ldl

build/embed: tools/embed.c
	@mkdir -p build
	$(CC) -O2 -o $@ $<

# the list goes in a file that changes only when the list does, so that an
# added or removed file re-embeds as an edited one does
build/embed.list: FORCE
	@mkdir -p build
	@echo '$(EMBED_FILES)' | cmp -s - $@ || echo '$(EMBED_FILES)' > $@

build/embedded.c: build/embed build/embed.list $(EMBED_FILES)
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

bench:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory venusc
	bench/run.sh

MAN1   := $(PREFIX)/share/man/man1
BASHCOMP := $(PREFIX)/share/bash-completion/completions

install: venusc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/venus/archspecs/lib $(DESTDIR)$(PREFIX)/share/doc/venus \
	  $(DESTDIR)$(MAN1) $(DESTDIR)$(BASHCOMP)
	install -m 755 venusc $(DESTDIR)$(PREFIX)/bin/venusc
	install -m 644 archspecs/*.lua $(DESTDIR)$(PREFIX)/share/venus/archspecs/
	install -m 644 archspecs/lib/*.lua $(DESTDIR)$(PREFIX)/share/venus/archspecs/lib/
	install -m 644 README.md $(wildcard docs/*.md) $(DESTDIR)$(PREFIX)/share/doc/venus/
	install -m 644 docs/man/venusc.1 docs/man/venus-model.1 $(DESTDIR)$(MAN1)/
	install -m 644 tools/venusc.bash $(DESTDIR)$(BASHCOMP)/venusc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/venusc $(DESTDIR)$(MAN1)/venusc.1 $(DESTDIR)$(MAN1)/venus-model.1 $(DESTDIR)$(BASHCOMP)/venusc
	rm -rf $(DESTDIR)$(PREFIX)/share/venus $(DESTDIR)$(PREFIX)/share/doc/venus

clean:
	rm -rf build venusc tests/out

.PHONY: all deps demo test test-targets bench install uninstall clean FORCE

# ---- fuzzing and the sanitizer run (tests/fuzz/README.md) ----
#   make fuzz [FUZZ_S=20] [FUZZ_TARGETS="gguf cli"]   each libFuzzer target for FUZZ_S
#                   seconds, two at a time; a finding fails it (build/fuzz/findings/)
#   make test-sanitize [SANITIZE_AREAS="errors cli"]   the test areas but the cross
#                   targets (or those named), with venusc and every binary it
#                   compiles built with ASan + UBSan (+ LeakSanitizer)
#   make test-stress [STRESS_RUNS=1000]   the demo model built with ASan + UBSan,
#                   run with random flags (tests/cli/stress.py)
FUZZ_S       ?= 20
FUZZ_CC      ?= clang
FUZZ_TARGETS ?= safetensors index config tokenizer gguf weights cli chat server image wav imgcfg
FUZZ_READERS := safetensors index config tokenizer gguf chat
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(filter-out codegen/venusc.c,$(VENUSC_SRC))) build/fuzz/obj/embedded.o
FUZZ_HDRS    := $(wildcard tests/fuzz/*.h)

build/fuzz/obj/%.o: %.c $(wildcard */*.h runtime/*.h ops/*.def) tests/fuzz/coverage.ignore
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -fsanitize-coverage-ignorelist=tests/fuzz/coverage.ignore $(VN_CFLAGS) -c -o $@ $<

build/fuzz/obj/embedded.o: build/embedded.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

build/fuzz/libvenus.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_READERS:%=build/fuzz/fuzz_%): build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDRS) build/fuzz/libvenus.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(VN_CFLAGS) -Itests/fuzz -o $@ $< build/fuzz/libvenus.a $(PKG_LIBS) -lm -ldl

# The readers of --image and --audio, and venusc's preprocessor_config.json
# reader, link their own sources (image.c as a host model binary builds it,
# PNG and JPEG in)
build/fuzz/fuzz_image: tests/fuzz/fuzz_image.c runtime/image.c runtime/image.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(VN_CFLAGS) -DVN_IMAGE_PNG -DVN_IMAGE_JPEG -o $@ tests/fuzz/fuzz_image.c runtime/image.c -lpng -ljpeg -lm
build/fuzz/fuzz_wav: tests/fuzz/fuzz_wav.c runtime/mel.c runtime/mel.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(VN_CFLAGS) -DVN_MEL_SAMPLES=1600 -DVN_MEL_FRAMES=10 -o $@ tests/fuzz/fuzz_wav.c runtime/mel.c -lm
build/fuzz/fuzz_imgcfg: tests/fuzz/fuzz_imgcfg.c frontend/imgcfg.c runtime/image.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(VN_CFLAGS) -Itests/fuzz -o $@ tests/fuzz/fuzz_imgcfg.c frontend/imgcfg.c runtime/image.c $(PKG_LIBS) -lm

# The weight-file and command-line targets link the C venusc generates for a
# small model (the runtime as a model binary compiles it, with the target's
# flags from the generated Makefile); its weight file seeds the one and sits
# beside the other, where a model binary looks for it. The command-line
# target leaves the model's arithmetic (FUZZ_PLAIN) uninstrumented: the
# kernels are the weight-file target's and test-sanitize's to check, and
# instrumented they would make each run tens of milliseconds. The
# weight-file target's kernels.c is built with UBSan's checks recoverable
# (FUZZ_RECOVER; tests/fuzz/run.sh's halt_on_error=1 still stops at the
# first report): clang 19 takes 100 s for it with ASan + UBSan + coverage,
# and over 17 minutes with -fno-sanitize-recover=undefined.
build/fuzz/model-%/model.c: venusc
	rm -rf $(@D) && ./venusc compile $(if $(filter kjv,$*),examples/tiny-kjv,tests/fixtures/hf/llama --dtype q8_0) --emit-c $(@D)

# the server target's model: the demo model with a chat template (as tests/server builds it)
build/fuzz/model-kjvchat/model.c: venusc tests/fixtures/chat/qwen3.json
	rm -rf $(@D) build/fuzz/kjvchat && mkdir -p build/fuzz/kjvchat && \
	cp examples/tiny-kjv/config.json examples/tiny-kjv/model.safetensors examples/tiny-kjv/tokenizer.json build/fuzz/kjvchat/ && \
	python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c.update(json.load(open(sys.argv[2]))); json.dump(c, open(sys.argv[3], 'w'))" \
	  examples/tiny-kjv/tokenizer_config.json tests/fixtures/chat/qwen3.json build/fuzz/kjvchat/tokenizer_config.json && \
	./venusc compile build/fuzz/kjvchat --emit-c $(@D)

build/fuzz/fuzz_weights: MODEL = build/fuzz/model-llama
build/fuzz/fuzz_cli: MODEL = build/fuzz/model-kjv
build/fuzz/fuzz_server: MODEL = build/fuzz/model-kjvchat
build/fuzz/fuzz_cli build/fuzz/fuzz_server: FUZZ_PLAIN = model.c kernels.c threads.c
build/fuzz/fuzz_weights: FUZZ_RECOVER = kernels.c
build/fuzz/fuzz_server: FUZZ_LIBS = -lmicrohttpd -ljansson
build/fuzz/fuzz_weights: build/fuzz/model-llama/model.c
build/fuzz/fuzz_cli: build/fuzz/model-kjv/model.c
build/fuzz/fuzz_server: build/fuzz/model-kjvchat/model.c
build/fuzz/fuzz_weights build/fuzz/fuzz_cli build/fuzz/fuzz_server: build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDRS) runtime/server.c
	rm -rf $@.obj && mkdir -p $@.obj && cf=$$(sed -n 's/^CFLAGS = //p' $(MODEL)/Makefile) && \
	for f in $$(sed -n 's/^SRC = //p' $(MODEL)/Makefile); do \
	  case " $(FUZZ_PLAIN) " in *" $$f "*) fl="-O2";; *) fl="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link";; esac; \
	  case " $(FUZZ_RECOVER) " in *" $$f "*) fl="$(filter-out -fno-sanitize-recover=undefined,$(FUZZ_CFLAGS)) -fsanitize=fuzzer-no-link";; esac; \
	  $(FUZZ_CC) $$cf $$fl -Dmain=vn_generated_main -I$(MODEL) -c -o $@.obj/$${f%.c}.o $(MODEL)/$$f || exit 1; \
	done && $(FUZZ_CC) $$cf $(FUZZ_CFLAGS) -fsanitize=fuzzer -I$(MODEL) -Itests/fuzz -o $@ $< $@.obj/*.o $(FUZZ_LIBS) -lm -lpthread
	cp $(MODEL)/model.vnw $@.vnw
	$(if $(filter weights,$*),mkdir -p build/fuzz/seeds-weights && cp $(MODEL)/model.vnw build/fuzz/seeds-weights/)

fuzz:
	@tools/deps.sh fuzz
	@$(MAKE) --no-print-directory venusc
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	tests/fuzz/run.sh $(FUZZ_S) $(FUZZ_TARGETS)

test-sanitize: deps
	tests/fuzz/sanitize.sh $(SANITIZE_AREAS)

# the demo model under ASan + UBSan, STRESS_RUNS invocations with random flags
STRESS_RUNS ?= 1000
test-stress: venusc
	tests/cli/stress.sh $(STRESS_RUNS)

.PHONY: fuzz test-sanitize test-stress
