# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# edgefw build. `make` builds everything, `make test` installs what is missing,
# builds and runs every test, `make demo` runs the namespace demo.

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
# systemd reads units from /usr/local/lib/systemd/system too.
UNITDIR ?= $(PREFIX)/lib/systemd/system
# fail2ban reads actions from /etc only.
F2B_ACTIONDIR ?= /etc/fail2ban/action.d

CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
PKG_CONFIG ?= pkg-config

BUILD := build
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LIBS_PC := libbpf libxdp libmnl yaml-0.1 json-c libmicrohttpd libsystemd
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)

USER_DIRS := user/common user/compiler user/loader user/cli user/daemon
INCLUDES := -Ikern -I$(BUILD)/kern $(addprefix -I,$(USER_DIRS))

CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(CSTD) $(WARN) $(CFLAGS) $(INCLUDES) $(PC_CFLAGS) -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_CFLAGS := $(CSTD) $(WARN) -O1 -g $(SAN_FLAGS) $(INCLUDES) $(PC_CFLAGS) -MMD -MP

BPF_CFLAGS := -target bpf -g -O2 -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-Wall -Werror -Ikern $(if $(MULTIARCH),-idirafter /usr/include/$(MULTIARCH))

# BPF programs and their skeletons.
BPF_SRCS := $(wildcard kern/*.bpf.c)
BPF_OBJS := $(patsubst kern/%.bpf.c,$(BUILD)/kern/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst kern/%.bpf.c,$(BUILD)/kern/%.skel.h,$(BPF_SRCS))

# Userspace: every .c under user/ except the program entry points goes into
# one static library that the binaries and the tests link.
MAIN_SRCS := user/cli/edgefw.c user/daemon/edgefwd.c
LIB_SRCS := $(filter-out $(MAIN_SRCS),$(foreach d,$(USER_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
SAN_LIB_OBJS := $(patsubst %.c,$(BUILD)/san/%.o,$(LIB_SRCS))
LIB := $(BUILD)/libedgefw.a
SAN_LIB := $(BUILD)/libedgefw-san.a

BINS := $(BUILD)/edgefw $(BUILD)/edgefwd

# Unit tests (cmocka, ASan+UBSan) and datapath tests (BPF_PROG_TEST_RUN).
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
# tests/lib: C shared by the datapath tests, the benchmarks and test tools
# (ClassBench sets: reading, converting, generating), standalone; and the
# reference packet parser, which needs the compiler's matcher.
REFPARSE_SRCS := tests/lib/refparse.c
TEST_LIB_SRCS := $(filter-out $(REFPARSE_SRCS),$(wildcard tests/lib/*.c))
DP_SRCS := $(wildcard tests/datapath/*.c) $(REFPARSE_SRCS)
DP_BIN := $(BUILD)/tests/datapath/dptest
# libFuzzer targets: tests/fuzz/fuzz_NAME.c with a seed corpus in
# tests/fuzz/corpus/NAME/. Built with clang, ASan and UBSan.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB_SRCS := $(wildcard user/common/*.c user/compiler/*.c)
# Targets that need more than the compiler: their sources and libraries.
FUZZ_EXTRA_fuzz_control := user/daemon/control_request.c
FUZZ_LIBS_fuzz_control := $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null)
# The packet target runs the BPF programs (root): the loader, libbpf, and
# the datapath test fixture with the reference parser.
FUZZ_EXTRA_fuzz_packet := $(wildcard user/loader/*.c) $(REFPARSE_SRCS) \
	tests/datapath/dp.c tests/datapath/dispatcher.c tests/datapath/refcheck.c
# (rxvlan.c's ethtool buffer: a GNU extension gcc accepts silently.)
FUZZ_FLAGS_fuzz_packet = -Itests/lib -Itests/datapath $(PC_CFLAGS) \
	-Wno-gnu-variable-sized-type-not-at-end
FUZZ_LIBS_fuzz_packet = $(PC_LIBS) -lelf -lz
FUZZ_TIME ?= 300
FUZZ_CFLAGS := $(CSTD) $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all $(INCLUDES)
BENCH_BIN := $(BUILD)/tests/bench/microbench
# trafficgen.c is the end-to-end benchmark's generator, a program of its own.
TRAFFICGEN_BIN := $(BUILD)/tests/bench/trafficgen
BENCH_SRCS := $(filter-out tests/bench/trafficgen.c,$(wildcard tests/bench/*.c)) \
	tests/datapath/packets.c tests/datapath/dispatcher.c \
	$(TEST_LIB_SRCS)
TEST_HELPER_SRCS := $(wildcard tests/tools/*.c)
TEST_HELPERS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TEST_HELPER_SRCS))
# BPF programs the namespace tests load with tc (no skeleton).
TEST_BPF_SRCS := $(wildcard tests/netns/*.bpf.c)
TEST_BPF_OBJS := $(patsubst tests/netns/%.bpf.c,$(BUILD)/tests/netns/%.bpf.o,$(TEST_BPF_SRCS))

.PHONY: all clean install uninstall test test-full test-build deps demo fuzz bench bench-quick
.DEFAULT_GOAL := all
.SECONDARY:
.DELETE_ON_ERROR:

all: $(BINS)

deps:
	$(Q)scripts/deps.sh

$(BUILD)/kern/%.bpf.o: kern/%.bpf.c
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/kern/%.skel.h: $(BUILD)/kern/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp || { rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@

# Userspace objects may include skeletons: build those first.
$(BUILD)/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c | $(SKELS)
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SAN_LIB): $(SAN_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/edgefw: $(BUILD)/user/cli/edgefw.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PC_LIBS) -lelf -lz

$(BUILD)/edgefwd: $(BUILD)/user/daemon/edgefwd.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PC_LIBS) -lelf -lz

$(BUILD)/tests/unit/%: tests/unit/%.c $(SAN_LIB) | $(SKELS)
	$(call msg,TEST-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) -Itests/unit -o $@ $< $(SAN_LIB) $(PC_LIBS) -lcmocka -lelf -lz

# The ClassBench tooling's own test links tests/lib too.
$(BUILD)/tests/unit/test_classbench: tests/unit/test_classbench.c $(TEST_LIB_SRCS) $(SAN_LIB) | $(SKELS)
	$(call msg,TEST-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) -Itests/unit -Itests/lib -o $@ $< $(TEST_LIB_SRCS) \
		$(SAN_LIB) $(PC_LIBS) -lcmocka -lelf -lz

$(DP_BIN): $(DP_SRCS) $(TEST_LIB_SRCS) $(wildcard tests/datapath/*.h tests/lib/*.h) $(SAN_LIB) | $(SKELS)
	$(call msg,TEST-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) -Itests/datapath -Itests/lib -o $@ $(DP_SRCS) \
		$(TEST_LIB_SRCS) $(SAN_LIB) $(PC_LIBS) -lelf -lz

$(BUILD)/tests/netns/%.bpf.o: tests/netns/%.bpf.c
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/tools/%: tests/tools/%.c $(wildcard tests/tools/*.h)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CSTD) $(WARN) -O2 -g -o $@ $<

# The ClassBench tool is the CLI of tests/lib's ClassBench code.
$(BUILD)/tests/tools/classbench: tests/tools/classbench.c $(TEST_LIB_SRCS) $(wildcard tests/lib/*.h)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CSTD) $(WARN) -O2 -g -Itests/lib -o $@ $< $(TEST_LIB_SRCS)

# The compiler is pure C with no BPF, so fuzz targets link its sources
# directly, instrumented (and what FUZZ_EXTRA_<target> adds).
.SECONDEXPANSION:
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS) $$(FUZZ_EXTRA_$$*) \
		$(wildcard user/*/*.h kern/*.h tests/lib/*.h tests/datapath/*.h) | $(SKELS)
	$(call msg,FUZZ-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_FLAGS_$*) -o $@ $< $(FUZZ_LIB_SRCS) $(FUZZ_EXTRA_$*) \
		$(shell $(PKG_CONFIG) --libs yaml-0.1 2>/dev/null) $(FUZZ_LIBS_$*)

# A longer run than make test's: FUZZ_TIME seconds per target. Exit status
# 77: the target cannot run here (fuzz_packet without root) and said why.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		name=$${f##*/fuzz_}; mkdir -p $(BUILD)/fuzz/corpus-$$name; \
		echo "fuzzing $$name for $(FUZZ_TIME)s"; \
		$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			$(BUILD)/fuzz/corpus-$$name tests/fuzz/corpus/$$name; \
		rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 77 ] || exit 1; \
	done

$(BENCH_BIN): $(BENCH_SRCS) $(LIB) | $(SKELS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/datapath -Itests/lib -o $@ $(BENCH_SRCS) $(LIB) $(PC_LIBS) -lelf -lz

$(TRAFFICGEN_BIN): tests/bench/trafficgen.c $(BUILD)/kern/trafficgen.skel.h
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(PC_LIBS) -lelf -lz

# Benchmarks never run in `make test`: they report ratios, not pass/fail.
# The end-to-end part (scripts/bench_e2e.sh) builds nothing: it uses
# build/edgefw, the generator, build/kern/bench.bpf.o and the ClassBench tool.
bench: deps
	$(Q)$(MAKE) --no-print-directory $(BENCH_BIN) $(BINS) $(TRAFFICGEN_BIN) $(BUILD)/tests/tools/classbench
	@mkdir -p $(BUILD)/bench
	$(Q)$(BENCH_BIN) --json $(BUILD)/bench/results.json
	$(Q)scripts/bench_plot.sh $(BUILD)/bench/results.json $(BUILD)/bench/ns_per_packet.png
	$(Q)scripts/bench_e2e.sh --json $(BUILD)/bench/e2e.json
	$(Q)scripts/bench_ifaces.sh --build $(BUILD)

bench-quick: deps
	$(Q)$(MAKE) --no-print-directory $(BENCH_BIN) $(BINS) $(TRAFFICGEN_BIN) $(BUILD)/tests/tools/classbench
	@mkdir -p $(BUILD)/bench
	$(Q)$(BENCH_BIN) --quick --reps 3 --json $(BUILD)/bench/results-quick.json
	$(Q)scripts/bench_e2e.sh --quick --json $(BUILD)/bench/e2e-quick.json
	$(Q)scripts/bench_ifaces.sh --quick --build $(BUILD)

test-build: all $(UNIT_BINS) $(if $(DP_SRCS),$(DP_BIN)) $(TEST_HELPERS) $(TEST_BPF_OBJS) $(FUZZ_BINS)

# Dependencies first, then a fresh sub-make, so pkg-config sees them.
test: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)tests/run.sh

# The same tests at full size: EFW_TEST_FULL=1 makes those with a bigger
# tier use it (ClassBench: 50,000-rule sets under reloads, ten times the
# packets, a longer compiler budget), and each program gets an hour.
test-full: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)EFW_TEST_FULL=1 EFW_TEST_TIMEOUT=$${EFW_TEST_TIMEOUT:-3600} tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# The unit's ExecStart names $(SBINDIR)/edgefwd, whatever PREFIX is.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/edgefw $(BUILD)/edgefwd $(DESTDIR)$(SBINDIR)/
	install -m 0644 user/cli/edgefw.8 user/daemon/edgefwd.8 $(DESTDIR)$(MANDIR)/man8/
	sed 's|/usr/local/sbin/|$(SBINDIR)/|g' user/daemon/edgefwd.service \
		>$(DESTDIR)$(UNITDIR)/edgefwd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/edgefwd.service
	install -d $(DESTDIR)$(F2B_ACTIONDIR)
	sed 's|/usr/local/sbin/|$(SBINDIR)/|g' user/integrations/fail2ban/edgefw.conf \
		>$(DESTDIR)$(F2B_ACTIONDIR)/edgefw.conf
	chmod 0644 $(DESTDIR)$(F2B_ACTIONDIR)/edgefw.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/edgefw $(DESTDIR)$(SBINDIR)/edgefwd
	rm -f $(DESTDIR)$(MANDIR)/man8/edgefw.8 $(DESTDIR)$(MANDIR)/man8/edgefwd.8
	rm -f $(DESTDIR)$(UNITDIR)/edgefwd.service
	rm -f $(DESTDIR)$(F2B_ACTIONDIR)/edgefw.conf

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
