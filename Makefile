# BlockLab. Every target installs what it needs on a fresh Debian machine.
SWIFT ?= swift
BIN := .build/release/blocklab
APT_PACKAGES := liburing-dev pkg-config fio util-linux e2fsprogs

.PHONY: all build deps test demo bench crash-test clean

all: build

# System packages: liburing (the engine), fio (benchmarks and fio-compat tests),
# losetup and mkfs.ext4 (loop-device tests).
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product blocklab

test: deps
	$(SWIFT) test

# The quick suite on a scratch file in a temporary directory; JSON results stay in results/.
demo: build
	@scratch=$$(mktemp -d /var/tmp/blocklab-demo.XXXXXX); \
	trap 'rm -rf "$$scratch"' EXIT; \
	BLOCKLAB_SCRATCH="$$scratch" $(BIN) run --output-format=table profiles/jobs/quick.fio

bench: deps
	$(SWIFT) build -c release
	.build/release/blocklab-bench

# The long crash test: SIGKILL a writer 200 times; every completed snapshot must read back exactly.
crash-test: build
	@d=$$(mktemp -d /var/tmp/blocklab-crash.XXXXXX); \
	trap 'rm -rf "$$d"' EXIT; \
	$(BIN) pool crash-test "$$d/pool" --kills 200

clean:
	rm -rf .build
