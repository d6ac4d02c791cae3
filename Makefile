# Postern - one non-recursive GNU make.
#
#   make            build everything into build/
#   make check      unit tests (cmocka) and integration tests (pytest)
#   make install    install under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local)
#   make demo       install build dependencies if missing, build, start a demo
#                   instance in ./demo (SMTP on 127.0.0.1:2525)
#   make asan       build with AddressSanitizer/UBSan into build-asan/
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
WARN = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
       -Wno-missing-field-initializers -Wno-unused-parameter
CFLAGS_ALL = $(OPT) $(WARN) $(HARDEN) -D_GNU_SOURCE -std=gnu11 -Ilib $(DEFS) $(CFLAGS)
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now $(LDFLAGS)
LIBS = -ldb
# Debian's python3-pytest lives with /usr/bin/python3, whatever else is on PATH.
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)

DAEMONS = master smtpd cleanup qmgr pickup virtual bounce discard error postlogd showq
COMMANDS = $(basename $(notdir $(wildcard bin/*.c)))

LIB_SRCS = $(wildcard lib/*.c)
LIB_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIBA = $(BUILD)/libpostern.a

DAEMON_BINS = $(foreach d,$(DAEMONS),$(if $(wildcard $(d)/*.c),$(BUILD)/libexec/$(d)))
COMMAND_BINS = $(patsubst %,$(BUILD)/bin/%,$(COMMANDS))
LINKS = $(BUILD)/bin/mailq $(BUILD)/bin/newaliases

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

all: $(DAEMON_BINS) $(COMMAND_BINS) $(LINKS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define daemon_rule
$(BUILD)/libexec/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(1)/*.c)) $(LIBA)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$(filter %.o,$$^) $(LIBA) $$(LIBS)
endef
$(foreach d,$(DAEMONS),$(if $(wildcard $(d)/*.c),$(eval $(call daemon_rule,$(d)))))

$(BUILD)/bin/%: $(BUILD)/obj/bin/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBA) $(LIBS)

$(BUILD)/bin/mailq $(BUILD)/bin/newaliases: $(BUILD)/bin/sendmail
	ln -sf sendmail $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBA) $(LIBS) -lcmocka

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: all
	$(PYTHON) -m pytest -q tests/integration

check: deps all unit integration

deps:
	@sh tests/install-deps.sh

install: all
	install -d $(DESTDIR)$(DAEMON_DIR) $(DESTDIR)$(COMMAND_DIR) $(DESTDIR)$(CONFIG_DIR)
	install -m 0755 $(DAEMON_BINS) $(DESTDIR)$(DAEMON_DIR)/
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
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined"

format:
	clang-format -i $(wildcard lib/*.[ch] */*.c bin/*.c tests/unit/*.c)

format-check:
	clang-format --dry-run -Werror $(wildcard lib/*.[ch] */*.c bin/*.c tests/unit/*.c)

clean:
	rm -rf $(BUILD) build-asan

.PHONY: all unit integration check deps install demo asan format format-check clean
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
