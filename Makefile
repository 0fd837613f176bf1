# ussdgw: plain Makefile. `make` builds ./ussdgw and ./ussd-phone; `make test` installs
# what is missing, builds and runs every test; `make demo` runs the gateway against the
# phone simulator; `make bench` measures; `make SANITIZE=address,undefined` builds with
# sanitizers (objects go to their own build folder).

CC      ?= cc
PKGS    := libevent hiredis libsmpp34 libpcre2-8 yaml-0.1 jansson libsodium
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Werror
OPT     ?= -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifneq ($(SANITIZE),)
BUILD   := build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   := build/std
SANFLAGS :=
endif

CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) $(SANFLAGS) \
           $(PKG_CFLAGS) -MMD -MP
LDFLAGS := $(SANFLAGS)
LDLIBS  := $(PKG_LIBS) -lm

# The layers, lowest first (ARCHITECTURE.md). A file sees the headers of its own layer
# and of those below it, nothing above: including a higher layer's header does not build.
LAYERS       := core proto store menus services handlers gateway cli
INC_core     := -Icore
INC_proto    := $(INC_core) -Iproto
INC_store    := $(INC_proto) -Istore
INC_menus    := $(INC_store) -Imenus
INC_services := $(INC_menus) -Iservices
INC_handlers := $(INC_services) -Ihandlers
INC_gateway  := $(INC_handlers) -Igateway
INC_cli      := $(INC_gateway) -Icli
INC_tests    := $(INC_cli)
INC_tools    := $(INC_proto)
# the include path of a source file, from its top folder
inc_of = $(INC_$(firstword $(subst /, ,$(1))))

# Every .c of the layers is part of the daemon's library; cli/main.c holds main().
LIB_SRC := $(filter-out cli/main.c,$(foreach l,$(LAYERS),$(wildcard $(l)/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/cli/main.o
PHONE_SRC := $(wildcard tools/ussd_phone/*.c)
PHONE_OBJ := $(PHONE_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/%_replay)

.PHONY: all clean test demo bench deps fuzz check-menus FORCE
all: ussdgw ussd-phone $(UNIT_BIN) $(FUZZ_REPLAY)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call inc_of,$<) -c $< -o $@

$(BUILD)/libussdgw.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ussdgw: $(MAIN_OBJ) $(BUILD)/libussdgw.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ussd-phone: $(PHONE_OBJ) $(BUILD)/libussdgw.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ./ussdgw and ./ussd-phone are copies of the binaries of the last build flavour.
# (copy, then rename: a running ./ussdgw cannot be overwritten in place)
ussdgw: $(BUILD)/ussdgw FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }
ussd-phone: $(BUILD)/ussd-phone FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/tests/unit/harness.o $(BUILD)/libussdgw.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz targets: replayed over their corpus by a plain driver in `make test`;
# `make fuzz` builds real libFuzzer binaries with clang.
$(BUILD)/tests/fuzz_%_replay: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libussdgw.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz:
	@mkdir -p build/fuzz
	for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	    $(INC_tests) $(PKG_CFLAGS) $$f $(LIB_SRC) -o build/fuzz/$$n $(PKG_LIBS) -lm || exit 1; done
	@echo "fuzzers in build/fuzz/; run e.g. build/fuzz/fuzz_menu tests/fuzz/corpus/menu"

deps:
	@tests/deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@tools/bench.sh

check-menus: ussdgw
	./ussdgw check menus.d

clean:
	rm -rf build ussdgw ussd-phone

FORCE:

-include $(shell find build -name '*.d' 2>/dev/null)
