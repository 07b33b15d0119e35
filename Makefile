# The two commands a newcomer needs: `make up` (quickstart) and `make test` (what CI runs).
BUILD_DIR ?= build
# Cache keys independent of where the repo is checked out, so a clean clone reuses an
# earlier build's compilations.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: up test deps configure build asan bench clean

deps:
	./deploy/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then cmake --preset default; fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

up: build
	./$(BUILD_DIR)/envctl up $(UP_ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# Unit tests under AddressSanitizer + UBSan.
asan: deps
	cmake --preset asan
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L unit

bench: build
	./$(BUILD_DIR)/envctl_bench

clean:
	rm -rf $(BUILD_DIR) build-asan
