# The two commands a newcomer runs: `make demo` and `make check`.
# Everything else is meson; this file only installs what is missing and
# wraps it.

BUILD ?= build
MESON_OPTIONS ?=

# `make check SANITIZE=1`: everything built with AddressSanitizer and
# UBSan, in build-sanitize, with clang: its single runtime writes UBSan's
# reports where ASan's go, so that tests/sanitize-wrapper.sh finds those
# of every process a test starts (gcc's libubsan prints them on stderr
# only). The wrapper, meson's default test setup there, fails a test on
# any report; tests/lsan.supp lists the leaks that are not ours.
ifeq ($(SANITIZE),1)
BUILD := build-sanitize
MESON_OPTIONS += -Db_sanitize=address,undefined -Db_lundef=false -Dintrospection=disabled
SETUP_ENV = CC=clang
SANITIZE_DEBIAN_PACKAGES = clang libclang-rt-dev
endif

# Debian packages the build, the tests and the demo need.
DEBIAN_PACKAGES = build-essential pkg-config meson ninja-build \
	libglib2.0-dev libjson-glib-dev libsoup-3.0-dev \
	gobject-introspection libgirepository1.0-dev \
	valgrind openssh-server openssh-client $(SANITIZE_DEBIAN_PACKAGES)
# Installed too when root; without them the tests that need them skip:
# the dashboard's end-to-end test drives Chromium headless.
OPTIONAL_DEBIAN_PACKAGES = chromium

# `make fuzz [FUZZ_SECONDS=N] [FUZZ_HARNESSES="frame message"]`: each
# libFuzzer harness of tests/fuzz (one per folder of tests/fuzz/corpus)
# for N seconds, in build-fuzz: clang, ASan + UBSan. Each harness works on
# a corpus of its own in build-fuzz/fuzz-corpus/NAME, seeded from the
# committed tests/fuzz/corpus/NAME (which changes only when you copy an
# input there); crashes land in build-fuzz/fuzz-artifacts/NAME/ (the
# table's last column counts this run's).
FUZZ_BUILD = build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES ?= $(notdir $(wildcard tests/fuzz/corpus/*))
FUZZ_DEBIAN_PACKAGES = clang libclang-rt-dev
FUZZ_MESON_OPTIONS = -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dintrospection=disabled
# Leaks that are not ours: tests/lsan.supp. The json harness's leak
# suppression needs stacks that reach into json-glib (slow unwinding).
FUZZ_ENV = G_SLICE=always-malloc G_DEBUG=gc-friendly \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
FUZZ_ASAN_OPTIONS = detect_leaks=1
FUZZ_ASAN_OPTIONS_json = detect_leaks=1:fast_unwind_on_malloc=0

.PHONY: all deps build check demo clean fuzz

all: build

deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ "$$(id -u)" = 0 ]; then \
	  for p in $(OPTIONAL_DEBIAN_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	  done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages:$$missing — run make as root to install them, or: sudo apt-get install$$missing"; \
	    exit 1; \
	  fi; \
	fi

build: deps
	@test -f $(BUILD)/build.ninja || $(SETUP_ENV) meson setup $(BUILD) $(MESON_OPTIONS)
	meson compile -C $(BUILD)

check: build
	meson test -C $(BUILD) --print-errorlogs

demo: build
	meson devenv -C $(BUILD) -w $(CURDIR) dplaces run data/examples/hello-world.ini

fuzz:
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(DEBIAN_PACKAGES) $(FUZZ_DEBIAN_PACKAGES)"
	@test -f $(FUZZ_BUILD)/build.ninja || CC=clang meson setup $(FUZZ_BUILD) $(FUZZ_MESON_OPTIONS)
	@# Everything that builds (the keyfile harness loads the plugins), then
	@# the harnesses, which must.
	@ninja -C $(FUZZ_BUILD) -k 0 > $(FUZZ_BUILD)/fuzz-build.log 2>&1 || \
	  echo "Some targets do not build in $(FUZZ_BUILD): see $(FUZZ_BUILD)/fuzz-build.log"
	meson compile -C $(FUZZ_BUILD) $(addprefix tests/fuzz/fuzz-,$(FUZZ_HARNESSES))
	@status=0; \
	for h in $(FUZZ_HARNESSES); do \
	  corpus=$(FUZZ_BUILD)/fuzz-corpus/$$h; artifacts=$(FUZZ_BUILD)/fuzz-artifacts/$$h; \
	  mkdir -p $$corpus $$artifacts; \
	  for f in tests/fuzz/corpus/$$h/*; do test -e $$corpus/$${f##*/} || cp $$f $$corpus/; done; \
	  echo "fuzz-$$h: $(FUZZ_SECONDS) s, log in $(FUZZ_BUILD)/fuzz-$$h.log"; \
	  touch $(FUZZ_BUILD)/fuzz-$$h.start; \
	  case $$h in json) asan="$(FUZZ_ASAN_OPTIONS_json)";; *) asan="$(FUZZ_ASAN_OPTIONS)";; esac; \
	  env $(FUZZ_ENV) ASAN_OPTIONS=$$asan $(FUZZ_BUILD)/tests/fuzz/fuzz-$$h -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=25 -print_final_stats=1 -artifact_prefix=$$artifacts/ $$corpus \
	    > $(FUZZ_BUILD)/fuzz-$$h.log 2>&1 || { status=1; echo "fuzz-$$h FAILED:"; tail -n 40 $(FUZZ_BUILD)/fuzz-$$h.log; }; \
	done; \
	echo; printf '%-10s %10s %8s %8s %6s %8s %7s %7s\n' harness runs exec/s cov ft corpus rss found; \
	for h in $(FUZZ_HARNESSES); do \
	  log=$(FUZZ_BUILD)/fuzz-$$h.log; \
	  line=$$(grep -E '^#[0-9]+' $$log | tail -n 1); \
	  printf '%-10s %10s %8s %8s %6s %8s %7s %7s\n' $$h \
	    "$$(grep -o 'number_of_executed_units: *[0-9]*' $$log | grep -o '[0-9]*$$')" \
	    "$$(grep -o 'average_exec_per_sec: *[0-9]*' $$log | grep -o '[0-9]*$$')" \
	    "$$(echo "$$line" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')" \
	    "$$(echo "$$line" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*')" \
	    "$$(ls $(FUZZ_BUILD)/fuzz-corpus/$$h | wc -l)" \
	    "$$(grep -o 'peak_rss_mb: *[0-9]*' $$log | grep -o '[0-9]*$$')MB" \
	    "$$(find $(FUZZ_BUILD)/fuzz-artifacts/$$h -type f -newer $(FUZZ_BUILD)/fuzz-$$h.start | wc -l)"; \
	done; \
	exit $$status

clean:
	rm -rf build build-sanitize build-fuzz
