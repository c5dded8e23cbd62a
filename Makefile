# mailform: the two set-up commands of the README, and the developer tasks.
#   make demo   installs what is missing, builds, and runs mailform on examples/
#   make test   installs what is missing (test servers too) and runs the whole suite

SWIFT ?= swift
PREFIX ?= /usr/local
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
RELEASE_FLAGS := -c release -Xcc -DMAILFORM_COMMIT='"$(COMMIT)"'

DEMO_DIR := $(shell mktemp -d -u /tmp/mailform-demo.XXXXXX)

.PHONY: demo demo-postgres test build release install bench trials fuzz deps clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

# Installs the release binary, bash/zsh/fish completions and the man page.
# One release build: the man page comes from that binary (its
# --experimental-dump-help) through swift-argument-parser's generate-manual
# tool, built alone in debug (seconds). `swift package generate-manual` would
# rebuild the whole package in release without the commit flag — a second
# long build that also replaced the binary with one saying "commit unknown".
MANUAL_DIR := .build/manual
install: release
	$(eval BIN := $(shell $(SWIFT) build $(RELEASE_FLAGS) --show-bin-path))
	$(SWIFT) build --product generate-manual
	$(eval TOOLS := $(shell $(SWIFT) build --show-bin-path))
	mkdir -p $(MANUAL_DIR)
	$(TOOLS)/generate-manual $(BIN)/mailform --output-directory $(MANUAL_DIR)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN)/mailform $(DESTDIR)$(PREFIX)/bin/mailform
	$(BIN)/mailform --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mailform
	$(BIN)/mailform --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_mailform
	$(BIN)/mailform --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/mailform.fish
	install -m 0644 $(MANUAL_DIR)/mailform.1 $(DESTDIR)$(PREFIX)/share/man/man1/mailform.1
	$(DESTDIR)$(PREFIX)/bin/mailform --version

demo:
	@scripts/install-deps.sh --demo
	$(SWIFT) build
	@scripts/demo.sh

# The same loop on a local PostgreSQL (started and stopped by the script).
demo-postgres:
	@scripts/install-deps.sh --test
	$(SWIFT) build
	@scripts/demo-postgres.sh

test:
	@scripts/install-deps.sh --test
	$(SWIFT) test

bench:
	@scripts/install-deps.sh --bench
	bench/run.sh

# Crash and concurrency trials (100 killed applies of 10,000 companies, 50 races).
trials: release
	/usr/bin/python3 bench/trials.py $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/mailform

clean:
	rm -rf .build

# libFuzzer (with AddressSanitizer) over the YAML loader + schema + policy, and
# over saved-plan parsing; FUZZ_SECONDS each (default 600). Findings land in
# Fuzz/findings/ and become regression tests (Tests/MailformCoreTests/FuzzRegressionTests.swift).
FUZZ_SECONDS ?= 600
FUZZ_FLAGS := -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -gnone
fuzz: deps
	cd Fuzz && $(SWIFT) build $(FUZZ_FLAGS) --product FuzzLoader && $(SWIFT) build $(FUZZ_FLAGS) --product FuzzPlan
	mkdir -p Fuzz/findings Fuzz/.work/loader Fuzz/.work/plan
	cd Fuzz && $$($(SWIFT) build $(FUZZ_FLAGS) --show-bin-path)/FuzzLoader \
	  -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=findings/loader- .work/loader corpus/loader
	cd Fuzz && $$($(SWIFT) build $(FUZZ_FLAGS) --show-bin-path)/FuzzPlan \
	  -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=findings/plan- .work/plan corpus/plan
