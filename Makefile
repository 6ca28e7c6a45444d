# The README's quick start: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
PACKAGES := cmake g++ make pkg-config python3 ccache libcaf-dev libboost1.81-dev \
  nlohmann-json3-dev libssl-dev liblmdb-dev lmdb-utils catch2 libtomlplusplus-dev \
  libsystemd-dev libcli11-dev libicu-dev ca-certificates systemd curl dpkg-dev file python3-prometheus-client \
  help2man lintian \
  libfaketime \
  chromium chromium-driver \
  clang libclang-rt-14-dev llvm \
  nodejs npm \
  nats-server libnats-dev
# Packages that count as present when their command is: a nodejs from
# elsewhere (NodeSource's) brings its own npm and conflicts with Debian's.
COMMAND_PACKAGES := npm

.PHONY: all deps configure build test test-release test-asan asan-build asan-ctest test-fuzz fuzz fuzz-build soak soak-cluster run run-cluster package clean

all: build

# Installs only what is missing, so a machine that has everything never waits on apt.
# APT_OPTS: more apt-get options (.ci/run's throwaway machine skips dpkg's fsyncs).
# (npm packages are the tests' alone: tests/integration/node_clients.py installs them.)
deps:
	@missing=$$(for p in $(PACKAGES); do \
	  case " $(COMMAND_PACKAGES) " in *" $$p "*) command -v $$p >/dev/null && continue;; esac; \
	  dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $(APT_OPTS) $$missing; \
	fi

# Debug information as line tables only (-g1): what perf, gdb's backtraces
# and the sanitizers' reports read. Full -g costs a quarter more compile
# time per file, and a cold build is most of what CI waits for. The unit
# tests are the sanitizer build's (`make test-asan`); the release build holds
# the daemon, its tools and the integration tests.
$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
	  -DIGBRIDGE_UNIT_TESTS=OFF

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The sanitizer build checks igbridge: the test tools (fakegram, seed_users)
# come from the release build instead of being compiled a second time.
$(ASAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DIGBRIDGE_SANITIZE=ON \
	  -DIGBRIDGE_TOOLS_DIR=$(abspath $(BUILD))

# The integration tests mostly wait on timers and sockets (a quarter of two
# cores for the release suite at 2 jobs), so more run at once than there
# are cores; the sanitizers make each one heavier, hence fewer there.
CTEST_JOBS ?= 4
ASAN_CTEST_JOBS ?= 3

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(CTEST_JOBS)

asan-build: $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

asan-ctest:
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(ASAN_CTEST_JOBS)

# The tests run the release build's fakegram.
test-asan: build asan-build
	$(MAKE) --no-print-directory asan-ctest

# libFuzzer targets (fuzz/README.md): their own clang build, at most 2 jobs.
FUZZ_BUILD ?= build-fuzz
FUZZ_S ?= 300
FUZZ_SHORT_S ?= 20
FUZZ_TARGETS := http_request graph_update legacy_update signed_request provider_answers config

$(FUZZ_BUILD)/CMakeCache.txt: | deps
	CC=clang CXX=clang++ cmake -S fuzz -B $(FUZZ_BUILD)

fuzz-build: deps $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j 2

# Builds, then runs every target for $(1) seconds, FUZZ_JOBS at a time (a
# libFuzzer run is one thread); each run's output is printed when it ends.
# Any crash fails, after all ran.
FUZZ_JOBS ?= $(JOBS)
define run_fuzz
	cmake --build $(FUZZ_BUILD) -j 2
	@rm -f $(FUZZ_BUILD)/results.tsv $(FUZZ_BUILD)/failed; mkdir -p $(FUZZ_BUILD)/runs; \
	printf '%s\n' $(FUZZ_TARGETS) | xargs -P $(FUZZ_JOBS) -I{} sh -c \
	  './fuzz/run.sh {} $(1) $(FUZZ_BUILD) > $(FUZZ_BUILD)/runs/{}.out 2>&1 || echo {} >> $(FUZZ_BUILD)/failed; \
	   cat $(FUZZ_BUILD)/runs/{}.out'; \
	echo; (echo -e "target\tseconds\texecutions\texec/s\tcov\tft\tcorpus"; cat $(FUZZ_BUILD)/results.tsv) \
	  | awk -F'\t' '{ printf "%-17s %7s %11s %7s %6s %7s %7s\n", $$1, $$2, $$3, $$4, $$5, $$6, $$7 }'; \
	if [ -s $(FUZZ_BUILD)/failed ]; then echo "fuzz: FAILED:" $$(cat $(FUZZ_BUILD)/failed); exit 1; fi
endef

fuzz: deps $(FUZZ_BUILD)/CMakeCache.txt
	$(call run_fuzz,$(FUZZ_S))

test-fuzz: deps $(FUZZ_BUILD)/CMakeCache.txt
	$(call run_fuzz,$(FUZZ_SHORT_S))

# All three configurations. The integration tests mostly wait on timers and
# sockets, so the next configuration compiles beside them at the lowest CPU
# priority: the sanitizer build beside the release build and tests, the fuzz
# build beside the sanitizer tests (scripts/make-test.sh; a 2-core machine
# stays under 30 min).
test: deps
	./scripts/make-test.sh $(MAKE)

# Crash soak (tests/soak/soak.py): SOAK_CYCLES kill -9s at random instants under
# webhooks, new posts and a failing sink, then checks nothing was lost. It prints
# its seed; SOAK_SEED=N replays the same choices. `make test` runs 3 cycles.
SOAK_CYCLES ?= 20
SOAK_SEED ?=
soak: build
	IGBRIDGE_BIN=$(BUILD)/igbridge FAKEGRAM_BIN=$(BUILD)/fakegram \
	  python3 tests/soak/soak.py --cycles $(SOAK_CYCLES) $(if $(SOAK_SEED),--seed $(SOAK_SEED))

# Cluster soak: integration.cluster_failover's scenario (three nodes under
# webhook load through kill -9 of a node and of a nats-server, a join, a
# graceful leave and a paused owner; every acknowledged post delivered)
# SOAK_CLUSTER_ROUNDS times, each with its own seed for the load's choices
# (printed). `make test` runs it once.
SOAK_CLUSTER_ROUNDS ?= 5
soak-cluster: build
	for round in $$(seq $(SOAK_CLUSTER_ROUNDS)); do \
	  IGBRIDGE_BIN=$(BUILD)/igbridge FAKEGRAM_BIN=$(BUILD)/fakegram IGBRIDGE_SOURCE_DIR=$(CURDIR) \
	    IGBRIDGE_ARTIFACTS=$(BUILD)/test-artifacts CLUSTER_SEED=$$round \
	    python3 tests/integration/test_cluster_failover.py || exit 1; \
	done

package: build
	cd $(BUILD) && cpack -G DEB

run: build
	./scripts/run-demo.sh $(BUILD)

# Three nats-server, three igbridge nodes and fakegram on loopback (DESIGN §9).
run-cluster: build
	./scripts/run-cluster.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
