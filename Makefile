# mailform: the two set-up commands of the README, and the developer tasks.
#   make demo   installs what is missing, builds, and runs mailform on examples/
#   make test   installs what is missing (test servers too) and runs the whole suite

SWIFT ?= swift
PREFIX ?= /usr/local
DEMO_DIR := $(shell mktemp -d -u /tmp/mailform-demo.XXXXXX)

.PHONY: demo test build release bench deps clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo:
	@scripts/install-deps.sh --demo
	$(SWIFT) build
	@scripts/demo.sh

test:
	@scripts/install-deps.sh --test
	$(SWIFT) test

bench:
	@scripts/install-deps.sh --bench
	bench/run.sh

clean:
	rm -rf .build
