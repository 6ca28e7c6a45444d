# The README's quick start: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
PACKAGES := cmake g++ make pkg-config python3 ccache libcaf-dev libboost1.81-dev \
  nlohmann-json3-dev libssl-dev liblmdb-dev catch2 libtomlplusplus-dev \
  libsystemd-dev libcli11-dev libicu-dev ca-certificates systemd curl dpkg-dev file python3-prometheus-client \
  chromium chromium-driver

.PHONY: all deps configure build test test-release test-asan run package clean

all: build

# Installs only what is missing, so a machine that has everything never waits on apt.
deps:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DIGBRIDGE_SANITIZE=ON

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j 2

test-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j 2

test: test-release test-asan

package: build
	cd $(BUILD) && cpack -G DEB

run: build
	./scripts/run-demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
