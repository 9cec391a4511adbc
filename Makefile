# The two commands a newcomer runs: `make demo` and `make check`.
# Everything else is meson; this file only installs what is missing and
# wraps it.

BUILD ?= build
MESON_OPTIONS ?=

ifeq ($(SANITIZE),1)
BUILD := build-sanitize
MESON_OPTIONS += -Db_sanitize=address,undefined -Db_lundef=false -Dintrospection=disabled
endif

# Debian packages the build, the tests and the demo need.
DEBIAN_PACKAGES = build-essential pkg-config meson ninja-build \
	libglib2.0-dev libjson-glib-dev libsoup-3.0-dev \
	gobject-introspection libgirepository1.0-dev \
	valgrind openssh-server openssh-client

.PHONY: all deps build check demo clean

all: build

deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
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
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) $(MESON_OPTIONS)
	meson compile -C $(BUILD)

check: build
	meson test -C $(BUILD) --print-errorlogs

demo: build
	meson devenv -C $(BUILD) -w $(CURDIR) dplaces run data/examples/hello-world.ini

clean:
	rm -rf build build-sanitize
