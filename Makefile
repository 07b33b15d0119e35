# The two commands a newcomer needs: `make up` (quickstart) and `make test` (what CI runs).
BUILD_DIR ?= build
# Cache keys independent of where the repo is checked out, so a clean clone reuses an
# earlier build's compilations.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
JOBS ?= $(shell nproc)
CTEST_ARGS ?=
TSA_JOBS ?= 2

.PHONY: up test deps configure build asan fuzz thread-safety lint bench clean

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

# libFuzzer targets (fuzz/) under ASan + UBSan, each run for FUZZ_SECONDS from the committed
# corpus (new inputs go to build-fuzz/corpus/, the committed corpus is not modified) with a
# fixed FUZZ_SEED, so a local `make fuzz` starts from the mutations CI makes (.ci/run; a
# time-bounded run gets further on a faster machine). A crash, leak,
# timeout (> 10 s on one input) or more than 2 GiB RSS fails the target; the input is saved
# as build-fuzz/crash-*, timeout-*, oom-* or leak-*.
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 1
FUZZERS := spec_loader_fuzzer adf_json_fuzzer webhook_fuzzer controller_config_fuzzer
fuzz: deps
	@if [ ! -f build-fuzz/build.ninja ]; then cmake --preset fuzz; fi
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZERS)
	@set -e; for f in $(FUZZERS); do \
	  name=$${f%_fuzzer}; mkdir -p build-fuzz/corpus/$$name; \
	  echo "fuzz: $$f for $(FUZZ_SECONDS) s (seed $(FUZZ_SEED))"; \
	  ./build-fuzz/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=build-fuzz/ build-fuzz/corpus/$$name fuzz/corpus/$$name; \
	done

# clang -Wthread-safety over every translation unit with -fsyntax-only (no objects, no link:
# minutes, not a clang build). Only the generated protobuf/gRPC sources are built first, as
# the files include them. Fails on the first file with a warning (-Werror=thread-safety).
thread-safety: deps
	@if [ ! -f build-tsa/build.ninja ]; then cmake --preset thread-safety; fi
	cmake --build build-tsa -j $(JOBS) --target $$(ninja -C build-tsa -t targets all | sed -n 's/^\([^:]*\.pb\.\(h\|cc\)\): .*/\1/p')
	python3 -c 'import json, shlex; \
	  args = lambda e: e.get("arguments") or shlex.split(e["command"]); \
	  strip_o = lambda a: [x for i, x in enumerate(a) if x != "-o" and (i == 0 or a[i - 1] != "-o")]; \
	  [print("cd " + shlex.quote(e["directory"]) + " && " + shlex.join(strip_o(args(e)) + ["-fsyntax-only"])) \
	   for e in json.load(open("build-tsa/compile_commands.json"))]' \
	  | xargs -d '\n' -n 1 -P $(TSA_JOBS) sh -c
	@echo "thread-safety: no warnings"

# clang-format check over every tracked C++ file (.clang-format); also a ctest test
# (lint_clang_format), so `make test` in CI fails on an unformatted file.
lint: deps
	./deploy/lint.sh

bench: build
	./$(BUILD_DIR)/envctl_bench

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz build-tsa
