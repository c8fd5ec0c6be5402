# postern - one plain Makefile.  make; make check; make check SAN=1;
# make install PREFIX=/usr/local DESTDIR=; make fuzz FUZZ_SECONDS=60.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=

CC	?= cc
PKGS	 = libssl libcrypto libunbound libcdb libidn2
CPPFLAGS_PKG := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# OpenSSL and tinycdb are linked statically: resolving libssl + libcrypto
# at every process start costs more than twice a whole static start
# (measured: a connection's smtp-recv starts in 2.1 ms instead of 4.5-5
# ms), and only the objects a program uses are linked in.  STATIC_LIBS=0
# links them dynamically.
STATIC_LIBS ?= 1
ifeq ($(STATIC_LIBS),1)
LDLIBS_PKG   := -Wl,-Bstatic -lssl -lcrypto -lcdb -Wl,-Bdynamic
else
LDLIBS_PKG   := -lssl -lcrypto -lcdb
endif
LDLIBS_PKG   += $(shell pkg-config --libs libunbound libidn2 2>/dev/null \
		|| echo -lunbound -lidn2)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith \
	   -Wstrict-prototypes -Wmissing-prototypes -Wvla -Werror
BASE	 = -std=c17 -D_DEFAULT_SOURCE -g -Ilib $(WARN) $(CPPFLAGS_PKG)

ifeq ($(SAN),1)
O	?= build-san
OPT	 = -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	   -fno-sanitize-recover=undefined
LDSAN	 = -fsanitize=address,undefined
else
O	?= build
OPT	 = -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDSAN	 = -Wl,-z,relro,-z,now
PIE	 = -pie
endif

CFLAGS	?=
LDFLAGS	?=
ALL_CFLAGS  = $(BASE) $(OPT) $(CFLAGS)
ALL_LDFLAGS = $(LDSAN) -Wl,--as-needed $(LDFLAGS)

LIB_SRC	 = $(wildcard lib/*/*.c)
LIB_OBJ	 = $(LIB_SRC:%.c=$(O)/%.o)
LIBA	 = $(O)/libpostern.a

# Programs: cmd/NAME.c, cmd/NAME/*.c, maildir-tools/NAME.c
CMD_ONE	 = $(wildcard cmd/*.c) $(wildcard maildir-tools/*.c)
CMD_DIRS = $(patsubst %/,%,$(wildcard cmd/*/))
PROGS	 = $(foreach f,$(CMD_ONE),$(O)/bin/$(basename $(notdir $(f)))) \
	   $(foreach d,$(CMD_DIRS),$(O)/bin/$(notdir $(d)))

UNIT_SRC = $(wildcard t/unit/test_*.c)
UNITS	 = $(UNIT_SRC:t/unit/%.c=$(O)/t/%)

MANS	 = $(wildcard doc/*.[1-8])

all: $(PROGS) $(UNITS)

progs: $(PROGS)

# V=1 shows the commands
Q	 = $(if $(V),,@)

# each object's header dependencies come from the compiler (-MMD -MP)
DEPFLAGS = -MMD -MP

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $(LIB_OBJ)

# Programs started once per connection or message are linked fully
# static (a static start costs 1.5 ms against 2 ms with a dynamic libc,
# DESIGN.md section 10).  libcrypto.a names dlopen and getaddrinfo, which
# these programs never reach; ld's warnings about them are silenced for
# these links only.  Not with the sanitizers, which need a dynamic libc.
# smtp-recv runs the authentication stages in-process, so libunbound and
# what it needs (libevent, nettle, gmp) and libidn2 (libunistring) are in
# its link too: measured, a start of 1.1 ms against 1.75 ms dynamic.
STATIC_PROGS = smtp-recv
ifeq ($(SAN),1)
STATIC_LD =
else ifeq ($(STATIC_LIBS),1)
STATIC_LD = -static-pie -Wl,--no-warnings
endif
STATIC_LDLIBS = -lunbound -levent -lhogweed -lnettle -lgmp -lidn2 -lunistring \
		-lssl -lcrypto -lcdb -lm -lpthread
# flags and libraries for linking program $(1)
prog_ld = $(if $(and $(STATIC_LD),$(filter $(1),$(STATIC_PROGS))),\
	  $(STATIC_LD) -o $(2) $(3) $(STATIC_LDLIBS),\
	  $(PIE) -o $(2) $(3) $(LDLIBS_PKG) -lm)

define one_prog
$(O)/bin/$(basename $(notdir $(1))): $(O)/$(basename $(1)).o $(LIBA)
	@mkdir -p $(O)/bin
	@$(if $(V),,echo "  LD      $$@")
	$(Q)$(CC) $(ALL_LDFLAGS) $$(call prog_ld,$(basename $(notdir $(1))),$$@,$$< $(LIBA))
endef
$(foreach f,$(CMD_ONE),$(eval $(call one_prog,$(f))))

define dir_prog
$(O)/bin/$(notdir $(1)): $(patsubst %.c,$(O)/%.o,$(wildcard $(1)/*.c)) $(LIBA)
	@mkdir -p $(O)/bin
	@$(if $(V),,echo "  LD      $$@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(PIE) -o $$@ $$(filter %.o,$$^) $(LIBA) $(LDLIBS_PKG) -lm
endef
$(foreach d,$(CMD_DIRS),$(eval $(call dir_prog,$(d))))

$(O)/t/%.o: t/unit/%.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) $(CHECK_CFLAGS) \
	    -Wno-missing-prototypes -c -o $@ $<

-include $(LIB_OBJ:.o=.d) $(UNITS:=.d) \
	$(patsubst %.c,$(O)/%.d,$(CMD_ONE) $(wildcard cmd/*/*.c))

$(O)/t/test_%: $(O)/t/test_%.o $(LIBA)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(PIE) -o $@ $< $(LIBA) $(LDLIBS_PKG) $(CHECK_LIBS) -lm

# make check: install what is missing, build normally and with the
# sanitizers, run every test against both builds, lint the man pages.
# SAN=1 or SAN=0 runs one build only.
ifeq ($(SAN),1)
CHECK_BUILDS = build-san
else ifeq ($(SAN),0)
CHECK_BUILDS = build
else
CHECK_BUILDS = build build-san
endif

check: deps
	@for b in $(CHECK_BUILDS); do \
	  if [ $$b = build-san ]; then s=1; else s=0; fi; \
	  $(MAKE) --no-print-directory SAN=$$s O=$$b all || exit 1; \
	done
	@t/run $(CHECK_BUILDS)

# the tests alone, against builds that exist (no install, no rebuild)
test:
	@t/run $(or $(BUILDS),$(O))

deps:
	@scripts/deps

FUZZ_SECONDS ?= 60
FUZZ_CC	 ?= clang
FUZZ_SRC = $(wildcard t/fuzz/fuzz_*.c)
FUZZERS	 = $(FUZZ_SRC:t/fuzz/%.c=build-fuzz/%)

build-fuzz/fuzz_%: t/fuzz/fuzz_%.c $(LIB_SRC) $(wildcard lib/*/*.h)
	@mkdir -p build-fuzz
	$(FUZZ_CC) -std=c17 -D_DEFAULT_SOURCE -g -O1 -Ilib $(CPPFLAGS_PKG) \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) \
	    $(LDLIBS_PKG) -lm

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do \
	  n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
	  seed=t/fuzz/corpus-$${n#fuzz_}; [ -d $$seed ] || seed=t/fuzz/corpus; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s (seeds: $$seed)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	      build-fuzz/corpus-$$n $$seed 2>build-fuzz/$$n.log || \
	    { tail -40 build-fuzz/$$n.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|Done' build-fuzz/$$n.log; \
	done

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man8
	for p in $(PROGS); do install -m 755 $$p $(DESTDIR)$(BINDIR)/; done
	for m in $(MANS); do \
	  s=$${m##*.}; mkdir -p $(DESTDIR)$(MANDIR)/man$$s; \
	  install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

clean:
	rm -rf build build-san build-fuzz

.PHONY: all progs check test deps fuzz install clean
.SUFFIXES:
.SECONDARY:

# make bench: postern and Postfix side by side on loopback (figures, no
# pass/fail); BENCH_N=2000 make bench for a quick run.
bench: deps
	@$(MAKE) --no-print-directory SAN=0 O=build progs
	@scripts/bench

# make run: a complete local instance in ./run (SMTP on 127.0.0.1:2525),
# running once SMTP answers, or failing with the reason; make stop ends it
# (exit 100 when none runs there).  RUN_DIR=dir and SMTP_PORT=port choose
# others (scripts/run-local): make stop RUN_DIR=dir for the same one.
run: deps
	@$(MAKE) --no-print-directory SAN=0 O=build progs
	@scripts/run-local

stop:
	@scripts/run-local stop

.PHONY: bench run stop
