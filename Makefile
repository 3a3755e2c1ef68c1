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
# The unit names /etc/edgefw/edgefwd.yaml whatever PREFIX is.
SYSCONFDIR ?= /etc
DOCDIR ?= $(PREFIX)/share/doc/edgefw
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Prometheus rules (alerts, recordings, their promtool tests) and a
# Grafana dashboard for edgefwd's metrics.
PROMDIR ?= $(PREFIX)/share/edgefw/prometheus

# One version, from VERSION (scripts/debian/changelog must agree: tested).
VERSION := $(shell cat VERSION)

CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
PKG_CONFIG ?= pkg-config

BUILD := build
# The target's architecture, from the compiler that builds for it (not the
# build machine's `uname -m`: wrong when cross-building), as the kernel
# names it for __TARGET_ARCH_*.
TARGET_CPU := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
ARCH_OF = $(patsubst x86_64,x86,$(patsubst i%86,x86,$(patsubst aarch64,arm64,\
	$(patsubst arm%,arm,$(patsubst powerpc%,powerpc,$(patsubst riscv%,riscv,\
	$(patsubst s390x,s390,$(patsubst mips%,mips,$(1)))))))))
ARCH ?= $(strip $(call ARCH_OF,$(TARGET_CPU)))
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# libcurl is compiled against but not linked: the fleet layer loads it
# when a fleet command or edgefwd's fleet source first needs it
# (user/fleet/curl_dl.c), so that the other commands do not pay for its
# thirty-odd libraries at every start.
LIBS_PC := libbpf libxdp libmnl yaml-0.1 json-c libmicrohttpd libsystemd
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) libcurl 2>/dev/null)
PC_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)

# The layers, lowest first: each may use its own and the lower ones'
# headers (and symbols: scripts/objdeps.py checks the objects). cli and
# daemon are siblings: neither sees the other. The control protocol's
# client, which both use, is in ctl.
USER_DIRS := user/common user/compiler user/fleet user/loader user/ctl user/cli user/daemon
LAYER_DIRS_common := user/common
LAYER_DIRS_compiler := $(LAYER_DIRS_common) user/compiler
LAYER_DIRS_fleet := $(LAYER_DIRS_compiler) user/fleet
LAYER_DIRS_loader := $(LAYER_DIRS_compiler) user/loader
LAYER_DIRS_ctl := $(LAYER_DIRS_loader) user/ctl
LAYER_DIRS_cli := $(LAYER_DIRS_ctl) user/fleet user/cli
LAYER_DIRS_daemon := $(LAYER_DIRS_ctl) user/fleet user/daemon
# Tests, fuzzers and benchmarks see every layer.
INCLUDES := -Ikern -I$(BUILD)/kern $(addprefix -I,$(USER_DIRS))
# What one object of user/ is compiled with: its layer's directories only,
# so that including a higher layer's header fails to compile.
OBJ_INCLUDES = $(INCLUDES)
$(foreach l,common compiler fleet loader ctl cli daemon,\
	$(eval $(BUILD)/user/$(l)/%.o $(BUILD)/san/user/$(l)/%.o: \
		OBJ_INCLUDES = -Ikern -I$(BUILD)/kern $(addprefix -I,$(LAYER_DIRS_$(l)))))

CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# CPPFLAGS, CFLAGS and LDFLAGS from the environment (dpkg-buildflags,
# a distribution's build system) are honoured; without them the build is
# hardened by default: fortified, stack protector, full RELRO, BIND_NOW.
CPPFLAGS ?= -D_FORTIFY_SOURCE=2
CFLAGS ?= -O2 -g -fstack-protector-strong
LDFLAGS ?= -Wl,-z,relro -Wl,-z,now
# Reproducible builds: no absolute source path in objects or debug info,
# whatever directory the tree is built in (the BPF object too: it is
# embedded in the binaries).
PREFIX_MAP := -ffile-prefix-map=$(CURDIR)=.
OBJ_CFLAGS := $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $(PREFIX_MAP) $(PC_CFLAGS) -MMD -MP
ALL_CFLAGS := $(OBJ_CFLAGS) $(INCLUDES)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_OBJ_CFLAGS := $(CSTD) $(WARN) -O1 -g $(SAN_FLAGS) $(PC_CFLAGS) -MMD -MP
SAN_CFLAGS := $(SAN_OBJ_CFLAGS) $(INCLUDES)

BPF_CFLAGS := -target bpf -g -O2 -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(PREFIX_MAP) \
	-Wall -Werror -Ikern $(if $(MULTIARCH),-idirafter /usr/include/$(MULTIARCH))

# BPF programs and their skeletons.
BPF_SRCS := $(wildcard kern/*.bpf.c)
BPF_OBJS := $(patsubst kern/%.bpf.c,$(BUILD)/kern/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst kern/%.bpf.c,$(BUILD)/kern/%.skel.h,$(BPF_SRCS))
# The list of the maps an instance pins, derived from the skeleton.
MAPS_HDR := $(BUILD)/kern/edgefw_maps.h
GEN_HDRS := $(SKELS) $(MAPS_HDR)

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
FUZZ_EXTRA_fuzz_control := user/daemon/control_request.c user/ctl/control_json.c
FUZZ_LIBS_fuzz_control := $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null)
# A fleet manifest, as a host reads it from etcd (issue 18).
FUZZ_EXTRA_fuzz_manifest := user/fleet/bundle.c user/fleet/sha256.c
FUZZ_LIBS_fuzz_manifest := $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null)
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
	-fno-sanitize-recover=all $(INCLUDES) -DEDGEFW_VERSION='"$(VERSION)"'
BENCH_BIN := $(BUILD)/tests/bench/microbench
# trafficgen.c is the end-to-end benchmark's generator, a program of its own.
TRAFFICGEN_BIN := $(BUILD)/tests/bench/trafficgen
# e2eprep (tests/bench/e2e/) prepares the end-to-end benchmark's receivers.
E2EPREP_BIN := $(BUILD)/tests/bench/e2eprep
# tcpaths (tests/bench/tc/) times the ways to attach at tc
# (scripts/bench_tc_paths.sh).
TCPATHS_BIN := $(BUILD)/tests/bench/tcpaths
E2EPREP_SRCS := tests/bench/e2e/e2eprep.c tests/bench/naive.c tests/bench/xdpfilter.c \
	tests/bench/scengen.c
BENCH_SRCS := $(filter-out tests/bench/trafficgen.c,$(wildcard tests/bench/*.c)) \
	tests/datapath/packets.c tests/datapath/dispatcher.c \
	$(TEST_LIB_SRCS)
TEST_HELPER_SRCS := $(wildcard tests/tools/*.c)
TEST_HELPERS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TEST_HELPER_SRCS))
# BPF programs the namespace tests load with tc (no skeleton).
TEST_BPF_SRCS := $(wildcard tests/netns/*.bpf.c)
TEST_BPF_OBJS := $(patsubst tests/netns/%.bpf.c,$(BUILD)/tests/netns/%.bpf.o,$(TEST_BPF_SRCS))

.PHONY: all man check clean install uninstall deb check-unit test test-full test-build deps demo fuzz bench bench-quick bench-compare
.DEFAULT_GOAL := all
.SECONDARY:
.DELETE_ON_ERROR:

all: $(BINS) man

# edgefw.rules(5) is generated from rules/README.md, the language's
# reference, so the two cannot drift (tests/unit/test_docs.sh checks that
# every key of the language is in it).
MAN5 := $(BUILD)/man/edgefw.rules.5
# edgefw-json(7): the JSON vocabulary, from user/json.md.
MAN7 := $(BUILD)/man/edgefw-json.7
man: $(MAN5) $(MAN7)
$(MAN7): user/json.md scripts/md2man.py VERSION
	$(call msg,MAN,$@)
	@mkdir -p $(@D)
	$(Q)scripts/md2man.py --name edgefw-json --section 7 --version $(VERSION) \
		--title "the JSON output of edgefw and edgefwd" \
		--see-also "edgefw(8), edgefwd(8), edgefw.rules(5)" \
		user/json.md >$@.tmp && mv $@.tmp $@
$(MAN5): rules/README.md scripts/md2man.py VERSION
	$(call msg,MAN,$@)
	@mkdir -p $(@D)
	$(Q)scripts/md2man.py --name edgefw.rules --section 5 --version $(VERSION) \
		--title "the edgefw rule language" \
		--see-also "edgefw(8), edgefwd(8), /usr/share/doc/edgefw/examples/" \
		rules/README.md >$@.tmp && mv $@.tmp $@

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

$(MAPS_HDR): $(BUILD)/kern/edgefw.skel.h scripts/skel_maps.sh
	$(call msg,GEN,$@)
	$(Q)scripts/skel_maps.sh $< >$@.tmp && mv $@.tmp $@

# Userspace objects may include skeletons: build those first.
$(BUILD)/%.o: %.c | $(GEN_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(OBJ_CFLAGS) $(OBJ_INCLUDES) -c $< -o $@

$(BUILD)/san/%.o: %.c | $(GEN_HDRS)
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_OBJ_CFLAGS) $(OBJ_INCLUDES) -c $< -o $@

# The version goes into one object only.
$(BUILD)/user/common/version.o $(BUILD)/san/user/common/version.o: VERSION
$(BUILD)/user/common/version.o: OBJ_CFLAGS += -DEDGEFW_VERSION='"$(VERSION)"'
$(BUILD)/san/user/common/version.o: SAN_OBJ_CFLAGS += -DEDGEFW_VERSION='"$(VERSION)"'

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcsD $@ $^

$(SAN_LIB): $(SAN_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcsD $@ $^

# edgefw is started for every command (fail2ban's `set add` per ban,
# scripts), so its start counts: with CLI_STATIC=1 (when the archives are
# installed) libbpf, libxdp and json-c are linked into it,
# which spares the dynamic loader three of its eight libraries and their
# relocations (measured at load 25: `set add` 8.6 -> 7.4 ms of CPU, median
# of 60 alternated runs; `edgefw help` 109 -> 93 page faults; wall time is
# make bench's "set add" row). libyaml, libelf and zlib stay shared:
# lintian refuses embedded copies of those. edgefwd starts once: all shared.
# Off by default: a Debian package links shared so that a security update
# of a library reaches the CLI without a rebuild.
CLI_STATIC ?= 0
CLI_ARCHIVES := $(foreach a,libxdp.a libbpf.a libjson-c.a,$(shell $(CC) -print-file-name=$(a)))
ifeq ($(CLI_STATIC)$(words $(filter /%,$(CLI_ARCHIVES))),13)
CLI_LIBS = -Wl,-Bstatic -lxdp -lbpf -ljson-c -Wl,-Bdynamic \
	$(filter-out -lxdp -lbpf -ljson-c,$(PC_LIBS)) -lelf -lz
else
CLI_LIBS = $(PC_LIBS) -lelf -lz
endif

$(BUILD)/edgefw: $(BUILD)/user/cli/edgefw.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS)

$(BUILD)/edgefwd: $(BUILD)/user/daemon/edgefwd.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PC_LIBS) -lelf -lz

$(BUILD)/tests/unit/%: tests/unit/%.c $(SAN_LIB) | $(GEN_HDRS)
	$(call msg,TEST-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) -Itests/unit -o $@ $< $(SAN_LIB) $(PC_LIBS) -lcmocka -lelf -lz

# The ClassBench tooling's own test links tests/lib too.
$(BUILD)/tests/unit/test_classbench: tests/unit/test_classbench.c $(TEST_LIB_SRCS) $(SAN_LIB) | $(GEN_HDRS)
	$(call msg,TEST-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) -Itests/unit -Itests/lib -o $@ $< $(TEST_LIB_SRCS) \
		$(SAN_LIB) $(PC_LIBS) -lcmocka -lelf -lz

$(DP_BIN): $(DP_SRCS) $(TEST_LIB_SRCS) $(wildcard tests/datapath/*.h tests/lib/*.h) $(SAN_LIB) | $(GEN_HDRS)
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

# What the datapath reads per packet for a ClassBench set, counted from the
# compiled tables (kern/DESIGN.md, "Cache lines per packet").
$(BUILD)/tests/tools/treecost: tests/tools/treecost.c $(TEST_LIB_SRCS) $(LIB) | $(GEN_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/lib -o $@ $< $(TEST_LIB_SRCS) $(LIB) $(PC_LIBS) -lelf -lz

# The cells the chain's address tries read per packet in the benchmark's
# generated scenarios (kern/DESIGN.md, "Wide chunks in the chain's IPv6 trie").
$(BUILD)/tests/tools/chaincost: tests/tools/chaincost.c tests/bench/scengen.c $(TEST_LIB_SRCS) \
		$(LIB) | $(GEN_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/lib -Itests/bench -o $@ $< tests/bench/scengen.c \
		$(TEST_LIB_SRCS) $(LIB) $(PC_LIBS) -lelf -lz

# The compiler is pure C with no BPF, so fuzz targets link its sources
# directly, instrumented (and what FUZZ_EXTRA_<target> adds).
.SECONDEXPANSION:
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS) $$(FUZZ_EXTRA_$$*) \
		$(wildcard user/*/*.h kern/*.h tests/lib/*.h tests/datapath/*.h) | $(GEN_HDRS)
	$(call msg,FUZZ-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_FLAGS_$*) -o $@ $< $(FUZZ_LIB_SRCS) $(FUZZ_EXTRA_$*) \
		$(shell $(PKG_CONFIG) --libs yaml-0.1 json-c 2>/dev/null) $(FUZZ_LIBS_$*)

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

$(BENCH_BIN): $(BENCH_SRCS) $(LIB) | $(GEN_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/datapath -Itests/lib -o $@ $(BENCH_SRCS) $(LIB) $(PC_LIBS) -lelf -lz

$(TRAFFICGEN_BIN): tests/bench/trafficgen.c tests/bench/e2e/pktsend.c tests/bench/e2e/pktsend.h $(BUILD)/kern/trafficgen.skel.h
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/bench -o $@ $< tests/bench/e2e/pktsend.c $(PC_LIBS) -lelf -lz

$(E2EPREP_BIN): $(E2EPREP_SRCS) $(wildcard tests/bench/*.h) $(LIB) | $(SKELS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/bench -Itests/datapath -Itests/lib -o $@ $(E2EPREP_SRCS) $(LIB) $(PC_LIBS) -lelf -lz

$(TCPATHS_BIN): tests/bench/tc/tcpaths.c $(LIB)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(PC_LIBS) -lelf -lz

# The end-to-end benchmark compares itself with the previous run of the same
# size (NAME-prev.json), marking rows that moved more than 10%.
e2e_bench = prev=; if [ -e $(BUILD)/bench/$(1).json ]; then \
	mv $(BUILD)/bench/$(1).json $(BUILD)/bench/$(1)-prev.json; \
	prev="--compare $(BUILD)/bench/$(1)-prev.json"; fi; \
	scripts/bench_e2e.sh $(2) --json $(BUILD)/bench/$(1).json $$prev

# The fleet benchmark's host counts (make bench FLEET_HOSTS="5 10").
FLEET_HOSTS ?= 5 10 20

# Benchmarks never run in `make test` for their figures: they report ratios,
# not pass/fail (tests/netns/test_bench_e2e.sh runs the end-to-end one in its
# smallest form and checks only the structure of what it prints).
# The end-to-end part (scripts/bench_e2e.sh) builds nothing: it uses
# build/edgefw, the generator, e2eprep (which embeds kern/bench.bpf.c) and
# the ClassBench tool.
bench: deps
	$(Q)$(MAKE) --no-print-directory $(BENCH_BIN) $(BINS) $(TRAFFICGEN_BIN) $(E2EPREP_BIN) $(BUILD)/tests/tools/classbench
	@mkdir -p $(BUILD)/bench
	$(Q)$(BENCH_BIN) --json $(BUILD)/bench/results.json
	$(Q)scripts/bench_plot.sh $(BUILD)/bench/results.json $(BUILD)/bench/ns_per_packet.png
	$(Q)$(call e2e_bench,e2e,)
	$(Q)scripts/bench_ifaces.sh --build $(BUILD)
	$(Q)FLEET_HOSTS="$(FLEET_HOSTS)" scripts/bench_fleet.sh --build $(BUILD) --json $(BUILD)/bench/fleet.json
	$(Q)scripts/bench_diff.sh
	$(Q)$(MAKE) --no-print-directory bench-compare

# The existing per-packet scenarios against an earlier commit (default:
# main before issue 12's classifier), interleaved in the same run:
# make bench-compare [BENCH_BASE=REV] [BENCH_PAIRS=N]
BENCH_BASE ?= 68d0381
BENCH_PAIRS ?= 5
bench-compare: deps
	$(Q)$(MAKE) --no-print-directory $(BENCH_BIN) $(BINS)
	$(Q)scripts/bench_before_after.sh --rev $(BENCH_BASE) --pairs $(BENCH_PAIRS) \
		--json $(BUILD)/bench/before-after.json

bench-quick: deps
	$(Q)$(MAKE) --no-print-directory $(BENCH_BIN) $(BINS) $(TRAFFICGEN_BIN) $(E2EPREP_BIN) $(BUILD)/tests/tools/classbench
	@mkdir -p $(BUILD)/bench
	$(Q)$(BENCH_BIN) --quick --reps 3 --json $(BUILD)/bench/results-quick.json
	$(Q)$(call e2e_bench,e2e-quick,--quick)
	$(Q)scripts/bench_ifaces.sh --quick --build $(BUILD)

test-build: all $(UNIT_BINS) $(if $(DP_SRCS),$(DP_BIN)) $(TEST_HELPERS) $(TEST_BPF_OBJS) $(FUZZ_BINS) \
	$(TRAFFICGEN_BIN) $(E2EPREP_BIN)

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

# Everything an installed edgefw needs: the programs, their man pages and
# the language's, the unit (its ExecStart names $(SBINDIR)/edgefwd, whatever
# PREFIX is), the daemon's config (only when absent: never overwrites an
# operator's), the examples with their list files, bash completion and
# logrotate. scripts/debian/rules calls this with PREFIX=/usr.
EXAMPLES := $(wildcard rules/*.yaml)
EXAMPLE_LISTS := $(wildcard rules/lists/*)
# The guides live beside what they document; installed side by side.
DOCS := README.md SECURITY.md CHANGELOG.md rules/cookbook.md rules/migration.md \
	user/json.md user/integrations/prometheus/prometheus.md
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/edgefw \
		$(DESTDIR)$(DOCDIR)/examples/lists $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0755 $(BUILD)/edgefw $(BUILD)/edgefwd $(DESTDIR)$(SBINDIR)/
	install -m 0644 user/cli/edgefw.8 user/daemon/edgefwd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	sed 's|/usr/local/sbin/|$(SBINDIR)/|g' user/daemon/edgefwd.service \
		>$(DESTDIR)$(UNITDIR)/edgefwd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/edgefwd.service
	install -d $(DESTDIR)$(F2B_ACTIONDIR)
	sed 's|/usr/local/sbin/|$(SBINDIR)/|g' user/integrations/fail2ban/edgefw.conf \
		>$(DESTDIR)$(F2B_ACTIONDIR)/edgefw.conf
	chmod 0644 $(DESTDIR)$(F2B_ACTIONDIR)/edgefw.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/edgefw/edgefwd.yaml || \
		install -m 0600 rules/edgefwd.yaml $(DESTDIR)$(SYSCONFDIR)/edgefw/edgefwd.yaml
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 $(EXAMPLE_LISTS) $(DESTDIR)$(DOCDIR)/examples/lists/
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 user/cli/edgefw.bash $(DESTDIR)$(BASHCOMPDIR)/edgefw
	ln -sf edgefw $(DESTDIR)$(BASHCOMPDIR)/edgefwd
	install -m 0644 scripts/etc/edgefw.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/edgefw
	install -d $(DESTDIR)$(PROMDIR)
	install -m 0644 user/integrations/prometheus/edgefw.rules.yml \
		user/integrations/prometheus/edgefw.rules.test.yml \
		user/integrations/prometheus/edgefw-dashboard.json $(DESTDIR)$(PROMDIR)/

# The config in /etc stays (like a package's conffile on `remove`).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/edgefw $(DESTDIR)$(SBINDIR)/edgefwd
	rm -f $(DESTDIR)$(MANDIR)/man8/edgefw.8 $(DESTDIR)$(MANDIR)/man8/edgefwd.8
	rm -f $(DESTDIR)$(MANDIR)/man5/edgefw.rules.5 $(DESTDIR)$(MANDIR)/man7/edgefw-json.7
	rm -f $(DESTDIR)$(UNITDIR)/edgefwd.service
	rm -f $(DESTDIR)$(F2B_ACTIONDIR)/edgefw.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(BASHCOMPDIR)/edgefw $(DESTDIR)$(BASHCOMPDIR)/edgefwd
	rm -f $(DESTDIR)$(SYSCONFDIR)/logrotate.d/edgefw
	rm -rf $(DESTDIR)$(PROMDIR)

# The Debian package, built by dpkg-buildpackage in a clean copy of the
# tree (no build/, no .git) under build/deb/; the .deb lands in build/deb/.
# The packaging is kept in scripts/debian/ and copied to debian/ at the
# top of that tree, where dpkg-buildpackage looks for it.
# Needs debhelper (see scripts/debian/control's Build-Depends); not part of `make`.
DEB_SRC := $(BUILD)/deb/edgefw-$(VERSION)
DEB_JOBS ?= -jauto
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./.git --exclude='./*.deb' . | tar -x -C $(DEB_SRC)
	cp -a scripts/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b $(DEB_JOBS)
	@ls -1 $(BUILD)/deb/*.deb

# The unit tests alone, as the package build runs them (dh_auto_test):
# no root, no namespaces, nothing installed.
check-unit: $(UNIT_BINS)
	$(Q)EFW_NO_LEFTOVER_CHECK=1 EFW_SKIP_SLOW_BUILD_TESTS=1 tests/run.sh unit

# Static checks, failing on any finding (scripts/check.sh says which).
# Needs the objects: the dependency check reads them with nm.
check: all
	$(Q)scripts/check.sh --build $(BUILD)

clean:
	rm -rf $(BUILD)

# (build/deb holds the package build's own tree: not this build's.)
-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -print 2>/dev/null)
