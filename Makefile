# Postern - one non-recursive GNU make.
#
#   make            build everything into build/
#   make check      unit tests (cmocka) and integration tests (pytest)
#   make install    install under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local)
#   make demo       install build dependencies if missing, build, start a demo
#                   instance in ./demo (SMTP on 127.0.0.1:2525)
#   make asan       build with AddressSanitizer/UBSan into build-asan/ (then
#                   "make BUILD=build-asan unit" and POSTERN_BUILD=build-asan
#                   for the integration tests use the same flags)
#   make fuzz       build the libFuzzer targets (tests/fuzz/) with clang into
#                   build-fuzz/fuzz/ and run each for FUZZ_SECONDS (30) from
#                   its seed corpus tests/fuzz/corpus/<target>/;
#                   "make fuzz-regress" only replays the seeds
#
# Every directory listed in DAEMONS builds one program from its *.c files
# into build/libexec/; every bin/NAME.c builds build/bin/NAME. lib/*.c is
# the shared library archive. Tests: tests/unit/test_*.c, one program each.

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc

CONFIG_DIR ?= /etc/postfix
QUEUE_DIR ?= /var/spool/postfix
DATA_DIR ?= /var/lib/postfix
DAEMON_DIR ?= $(PREFIX)/libexec/postern
COMMAND_DIR ?= $(PREFIX)/sbin

DEFS = -DDEF_CONFIG_DIR='"$(CONFIG_DIR)"' -DDEF_QUEUE_DIR='"$(QUEUE_DIR)"' \
       -DDEF_DAEMON_DIR='"$(DAEMON_DIR)"' -DDEF_COMMAND_DIR='"$(COMMAND_DIR)"' \
       -DDEF_DATA_DIR='"$(DATA_DIR)"'
HARDEN = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -fno-strict-overflow
OPT ?= -O2 -g
# The sanitizer build: any target made with BUILD=build-asan gets the flags,
# so "make BUILD=build-asan unit" links against the same objects.
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# tests/fuzz/asan_defaults.c (linked into every program) sends reports to
# /tmp/postern-asan.PID, since daemons get no ASAN_OPTIONS from the master.
ASAN_DEFAULTS_OBJ = build-asan/obj/tests/fuzz/asan_defaults.o
ifeq ($(BUILD),build-asan)
OPT = -O1 -g $(ASAN_FLAGS)
override LDFLAGS += $(ASAN_FLAGS) $(ASAN_DEFAULTS_OBJ)
endif
WARN = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
       -Wno-missing-field-initializers -Wno-unused-parameter
CFLAGS_ALL = $(OPT) $(WARN) $(HARDEN) -D_GNU_SOURCE -std=gnu11 -Ilib $(DEFS) $(CFLAGS)
LDFLAGS_ALL = -pie -rdynamic -Wl,-z,relro,-z,now $(LDFLAGS)
LIBS = -ldb -lpcre2-8
# mysql: and pgsql: are plugins (dict_TYPE.so next to the daemons, loaded by
# lib/dict.c on first use), so that only a process that opens such a table
# maps the database client libraries. Programs export their symbols to them.
PLUGINS = mysql pgsql
PLUGIN_LIBS_mysql = -lmariadb
PLUGIN_LIBS_pgsql = -lpq
PLUGIN_SOS = $(patsubst %,$(BUILD)/libexec/dict_%.so,$(PLUGINS))
LINK_LIBA = -Wl,--whole-archive $(LIBA) -Wl,--no-whole-archive
# Debian's python3-pytest lives with /usr/bin/python3, whatever else is on PATH.
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)

DAEMONS = master smtpd cleanup qmgr pickup virtual bounce discard error postlogd showq \
          proxymap local smtp pipe
COMMANDS = $(basename $(notdir $(wildcard bin/*.c)))

LIB_SRCS = $(filter-out $(patsubst %,lib/dict_%.c,$(PLUGINS)),$(wildcard lib/*.c))
LIB_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIBA = $(BUILD)/libpostern.a

DAEMON_BINS = $(foreach d,$(DAEMONS),$(if $(wildcard $(d)/*.c),$(BUILD)/libexec/$(d)))
COMMAND_BINS = $(patsubst %,$(BUILD)/bin/%,$(COMMANDS))
LINKS = $(BUILD)/bin/mailq $(BUILD)/bin/newaliases
# smtp(8) and lmtp(8) are one program with two names (reference 8.3).
LINKS += $(if $(wildcard smtp/*.c),$(BUILD)/libexec/lmtp)

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

all: $(DAEMON_BINS) $(COMMAND_BINS) $(LINKS) $(PLUGIN_SOS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
ifeq ($(BUILD),build-asan)
$(LIBA): | $(ASAN_DEFAULTS_OBJ)
endif

define daemon_rule
$(BUILD)/libexec/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(1)/*.c)) $(LIBA)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$(filter %.o,$$^) $$(LINK_LIBA) $$(LIBS)
endef
$(foreach d,$(DAEMONS),$(if $(wildcard $(d)/*.c),$(eval $(call daemon_rule,$(d)))))

$(BUILD)/bin/%: $(BUILD)/obj/bin/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LINK_LIBA) $(LIBS)

$(BUILD)/bin/mailq $(BUILD)/bin/newaliases: $(BUILD)/bin/sendmail
	ln -sf sendmail $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -MMD -MP -c -o $@ $<

$(BUILD)/libexec/dict_%.so: $(BUILD)/pic/lib/dict_%.o
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-z,relro,-z,now $(LDFLAGS) -o $@ $< $(PLUGIN_LIBS_$*)

$(BUILD)/libexec/lmtp: $(BUILD)/libexec/smtp
	ln -sf smtp $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LINK_LIBA) $(LIBS) -lcmocka

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: all
	$(PYTHON) -m pytest -q tests/integration

check: deps all format-check unit integration

deps:
	@sh tests/install-deps.sh

install: all
	install -d $(DESTDIR)$(DAEMON_DIR) $(DESTDIR)$(COMMAND_DIR) $(DESTDIR)$(CONFIG_DIR)
	install -m 0755 $(DAEMON_BINS) $(DESTDIR)$(DAEMON_DIR)/
	install -m 0644 $(PLUGIN_SOS) $(DESTDIR)$(DAEMON_DIR)/
	if [ -f $(BUILD)/libexec/smtp ]; then ln -sf smtp $(DESTDIR)$(DAEMON_DIR)/lmtp; fi
	for c in $(COMMANDS); do install -m 0755 $(BUILD)/bin/$$c $(DESTDIR)$(COMMAND_DIR)/; done
	chgrp postdrop $(DESTDIR)$(COMMAND_DIR)/postdrop $(DESTDIR)$(COMMAND_DIR)/postqueue 2>/dev/null && \
	  chmod 2755 $(DESTDIR)$(COMMAND_DIR)/postdrop $(DESTDIR)$(COMMAND_DIR)/postqueue || true
	ln -sf sendmail $(DESTDIR)$(COMMAND_DIR)/mailq
	ln -sf sendmail $(DESTDIR)$(COMMAND_DIR)/newaliases
	test -f $(DESTDIR)$(CONFIG_DIR)/main.cf || install -m 0644 conf/main.cf $(DESTDIR)$(CONFIG_DIR)/
	test -f $(DESTDIR)$(CONFIG_DIR)/master.cf || install -m 0644 conf/master.cf $(DESTDIR)$(CONFIG_DIR)/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	-install -m 0644 man/man1/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	-install -m 0644 man/man5/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	-install -m 0644 man/man8/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

demo: deps all
	@sh tests/demo.sh

asan:
	$(MAKE) BUILD=build-asan all $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BINS))

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang into
# $(FUZZ_BUILD)/fuzz/. tests/fuzz/fuzz_msg.c replaces lib/msg.c in them.
# tests/fuzz/TARGET.flags, if present, holds extra libFuzzer flags (they come
# last, so they override the defaults: fuzz_maincf and fuzz_mastercf need a
# higher -rss_limit_mb, since a msg_fatal longjmp abandons parser memory).
FUZZ_BUILD ?= build-fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -Wall -Wextra -Wno-unused-parameter \
	-Wno-unused-function -Wno-missing-field-initializers -D_GNU_SOURCE -std=gnu11 -Ilib \
	-Itests/fuzz $(DEFS)
FUZZ_SRCS = $(filter-out tests/fuzz/fuzz_msg.c,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS = $(basename $(notdir $(FUZZ_SRCS)))
FUZZ_BINS = $(patsubst %,$(FUZZ_BUILD)/fuzz/%,$(FUZZ_TARGETS))
FUZZ_LIBA = $(FUZZ_BUILD)/libpostern-fuzz.a
FUZZ_EXTRA_OBJS = $(FUZZ_BUILD)/fobj/tests/fuzz/fuzz_msg.o $(FUZZ_BUILD)/fobj/smtpd/smtpd_data.o

$(FUZZ_BUILD)/fobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_LIBA): $(patsubst %.c,$(FUZZ_BUILD)/fobj/%.o,$(LIB_SRCS))
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz/%: $(FUZZ_BUILD)/fobj/tests/fuzz/%.o $(FUZZ_EXTRA_OBJS) $(FUZZ_LIBA)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_EXTRA_OBJS) $(FUZZ_LIBA) $(LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts tests/fuzz/corpus/$$t; \
	  echo "== $$t ($(FUZZ_SECONDS)s)"; \
	  $(FUZZ_BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -max_len=4096 -print_final_stats=1 $$(cat tests/fuzz/$$t.flags 2>/dev/null) \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t 2>$(FUZZ_BUILD)/$$t.log \
	    || { tail -40 $(FUZZ_BUILD)/$$t.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^Done' $(FUZZ_BUILD)/$$t.log || true; \
	done

fuzz-regress: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== $$t seeds"; \
	  $(FUZZ_BUILD)/fuzz/$$t $$(cat tests/fuzz/$$t.flags 2>/dev/null) -runs=0 \
	    tests/fuzz/corpus/$$t 2>$(FUZZ_BUILD)/$$t-regress.log \
	    || { tail -40 $(FUZZ_BUILD)/$$t-regress.log; exit 1; }; \
	done

format:
	clang-format -i $(sort $(wildcard lib/*.[ch] */*.c bin/*.c tests/unit/*.c tests/fuzz/*.c))

format-check:
	clang-format --dry-run -Werror $(sort $(wildcard lib/*.[ch] */*.c bin/*.c tests/unit/*.c tests/fuzz/*.c))

clean:
	rm -rf $(BUILD) build-asan

.PHONY: all unit integration check deps install demo asan fuzz fuzz-build fuzz-regress format \
	format-check clean
.SECONDARY:

-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_BUILD)/fobj -name '*.d' 2>/dev/null)
