# BlockLab. Every target installs what it needs on a fresh Debian machine.
SWIFT ?= swift
BIN := .build/release/blocklab
APT_PACKAGES := liburing-dev pkg-config fio util-linux e2fsprogs chromium

.PHONY: all build deps test demo install bench crash-test fuzz clean report-screenshot

all: build

# System packages: liburing (the engine), fio (benchmarks and fio-compat tests),
# losetup and mkfs.ext4 (loop-device tests), chromium (the HTML report's browser test).
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

# Suites that time real runs against an emulated volume's clock (the lab end to end, the
# shaped runs) run after the rest, on their own: the rest's parallel load on a small
# machine would otherwise show up in their latencies as if the volume were slow.
TIMED_SUITES = LabEndToEndTests|ShapedRunTests
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '$(TIMED_SUITES)'
	$(SWIFT) test --skip-build --filter '$(TIMED_SUITES)'

# The lab, quick size: the standard workloads on a scratch file (standing for instance
# store) and on emulated gp2, gp3, io2, st1 and sc1 volumes, then the snapshot experiment;
# everything lands in results/lab-*/ (the scratch file is removed).
demo: build
	$(BIN) lab --quick

# The binary and its profiles: PREFIX/bin/blocklab finds PREFIX/share/blocklab/profiles.
PREFIX ?= /usr/local
install: build
	install -D -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/blocklab
	mkdir -p $(DESTDIR)$(PREFIX)/share/blocklab
	rm -rf $(DESTDIR)$(PREFIX)/share/blocklab/profiles
	cp -r profiles $(DESTDIR)$(PREFIX)/share/blocklab/profiles

bench: deps
	$(SWIFT) build -c release
	.build/release/blocklab-bench

# The long crash test: SIGKILL a writer 200 times; every completed snapshot must read back exactly.
crash-test: build
	@d=$$(mktemp -d /var/tmp/blocklab-crash.XXXXXX); \
	trap 'rm -rf "$$d"' EXIT; \
	$(BIN) pool crash-test "$$d/pool" --kills 200

# libFuzzer on the parsers of outside input: job files (and the I/O plans made from them),
# --volume specs (resolved against every profile), series files, a pool journal's replay,
# result files as compare and report read them (through the HTML page), and recommend's
# --series input (CloudWatch CSV/JSON, BlockLab series). Each target runs
# FUZZ_SECONDS (default 60) from a seed corpus (Tests/FuzzCorpus/TARGET; job files also
# profiles/jobs, profiles/lab and fio's examples in Tests/FioExamples);
# a crash, trap or hang stops make with the input in .build-fuzz/artifacts/. The targets
# exist only with BLOCKLAB_FUZZ=1, so a normal build never needs -sanitize=fuzzer.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := FuzzJobFile FuzzVolumeSpec FuzzSeries FuzzJournal FuzzResults FuzzCloudWatch
FUZZ_BUILD := BLOCKLAB_FUZZ=1 $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library --scratch-path .build-fuzz

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do $(FUZZ_BUILD) --product $$t; done
	@set -e; mkdir -p .build-fuzz/artifacts; \
	for t in $(FUZZ_TARGETS); do \
		corpus=.build-fuzz/corpus/$$t; mkdir -p $$corpus; \
		seeds=Tests/FuzzCorpus/$$t; [ $$t = FuzzJobFile ] && seeds="$$seeds profiles/jobs profiles/lab Tests/FioExamples"; \
		echo "== $$t: $(FUZZ_SECONDS) s"; \
		BLOCKLAB_PROFILES=$(CURDIR)/profiles .build-fuzz/release/$$t $$corpus $$seeds \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=.build-fuzz/artifacts/$$t- 2>.build-fuzz/$$t.log \
			|| { tail -40 .build-fuzz/$$t.log; echo "$$t: crash found (input in .build-fuzz/artifacts/)"; exit 1; }; \
		grep -E '^(Done|stat::number_of_executed_units)' .build-fuzz/$$t.log; \
	done

# The HTML report of the test fixtures (a gp2 run out of credits, a --repeat run, fio's
# json+, a recommendation) opened in headless Chromium and saved as a PNG.
REPORT_SOURCES ?= Tests/ReportTests/Fixtures Tests/CompareTests/Fixtures/fio-jsonplus.json
REPORT_PNG ?= report-screenshot.png
report-screenshot: build
	@mkdir -p .build/report
	$(BIN) report $(REPORT_SOURCES) --recommendation Tests/ReportTests/Fixtures/recommendation.json --html .build/report/report.html
	chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --user-data-dir=.build/report/profile \
		--window-size=1200,4800 --screenshot=$(CURDIR)/$(REPORT_PNG) file://$(CURDIR)/.build/report/report.html 2>/dev/null
	@echo "screenshot: $(REPORT_PNG) (page: .build/report/report.html)"

clean:
	rm -rf .build .build-fuzz
