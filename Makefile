# conductor: every set-up, test and benchmark step is one `make` target.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release

# install: where (PREFIX, staged under DESTDIR for packaging) and which build (CONFIG=debug is quicker)
PREFIX ?= /usr/local
DESTDIR ?=
CONFIG ?= release
# extra flags for swift build and swift package in install (the tests pass --ignore-lock: they run
# inside `swift test`, which holds the build directory's lock)
SWIFTPM_FLAGS ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MAN1DIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASHDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
# where swift-argument-parser's GenerateManual plugin writes the page
MANUAL := .build/plugins/GenerateManual/outputs/conductor/conductor.1
# The plugin's page lets mdoc fill every line of a discussion: keep the indented lines (examples,
# the tasks file) as --help shows them, and make blank lines paragraph breaks (mdoc warns on them).
MANUAL_FIX = /^  / && !literal { print ".Bd -literal -offset 2n"; literal = 1 } \
	!/^  / && literal { print ".Ed"; literal = 0 } \
	/^$$/ { print ".Pp"; next } \
	{ print literal ? "\\&" substr($$0, 3) : $$0 } \
	END { if (literal) print ".Ed" }

.PHONY: deps build test chaos demo bench clean install uninstall

## deps: install what conductor and its tests need (libgit2-dev, libpq-dev, PostgreSQL for the queue tests, tmux, GNU parallel, git, python3 for the stand-in agent, chromium to render report.html, the MCP Python SDK that tests conductor mcp) when missing
deps:
	@missing=""; \
	pkg-config --exists libgit2 2>/dev/null || missing="$$missing libgit2-dev pkg-config"; \
	pkg-config --exists libpq 2>/dev/null || missing="$$missing libpq-dev"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v tmux >/dev/null || missing="$$missing tmux"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v parallel >/dev/null || missing="$$missing parallel"; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi; \
	python3 -c 'import mcp' 2>/dev/null || { echo "installing: the mcp Python package"; python3 -m pip install --quiet mcp; }

build: deps
	$(SWIFT) build

## test: the whole test suite (unit, git, end-to-end)
test: deps
	$(SWIFT) test

## chaos: the chaos suite (workers and batches killed with SIGKILL mid-work), the 256-worker scale test and the 1,000-task run over 8 PostgreSQL hosts, alone; prints their figures
chaos: deps
	@mkdir -p .build
	@CONDUCTOR_CHAOS=1 $(SWIFT) test --filter "ChaosTests|ScaleTests" > .build/chaos.log 2>&1; status=$$?; \
		grep -E "^chaos|^scale|recorded an issue|Test run" .build/chaos.log; exit $$status

## demo: build and run the demo on a throwaway repository
demo: deps
	$(SWIFT) build -c release
	fixtures/demo.sh $(RELEASE_BIN)

## bench: every benchmark, side by side with the tools a user would use instead
bench: deps
	$(SWIFT) build -c release
	$(RELEASE_BIN)/conductor-bench

## bench-NAME: one benchmark (worktrees, batch, report, dispatch, scaling, memory, pool)
bench-%: deps
	$(SWIFT) build -c release
	$(RELEASE_BIN)/conductor-bench $*

## example: build Examples/LibraryUser, a package of its own that uses Conductor as a library, and run its batch in a temporary directory
.PHONY: example
EXAMPLE := Examples/LibraryUser
example: deps
	$(SWIFT) build --package-path $(EXAMPLE) --scratch-path $(EXAMPLE)/.build
	@work="$$(mktemp -d)"; trap 'rm -rf "$$work"' EXIT; set -e; mkdir "$$work/run"; \
		PATH=/usr/bin:/bin \
			"$$($(SWIFT) build --package-path $(EXAMPLE) --scratch-path $(EXAMPLE)/.build --show-bin-path)/library-user" "$$work/run" \
			> "$$work/output" || { cat "$$work/output"; echo "example: library-user failed" >&2; exit 1; }; \
		cat "$$work/output"; \
		for name in alpha beta gamma; do \
			grep -q "^$$name: done on worker [01]: $$name ran$$" "$$work/output" || { echo "example: no result line for $$name" >&2; exit 1; }; \
			[ "$$(cat "$$work/run/$$name.txt")" = "$$name" ] || { echo "example: $$name.txt was not written" >&2; exit 1; }; \
		done; \
		grep -q "^3 of 3 tasks succeeded$$" "$$work/output" || { echo "example: no summary line" >&2; exit 1; }; \
		echo "example: the library user ran its batch"

## install: the conductor binary, its man page and bash/zsh/fish completions under $(DESTDIR)$(PREFIX)
install: deps
	$(SWIFT) build $(SWIFTPM_FLAGS) -c $(CONFIG) --product conductor
	$(SWIFT) package $(SWIFTPM_FLAGS) generate-manual --configuration $(CONFIG)
	@bin="$$($(SWIFT) build $(SWIFTPM_FLAGS) -c $(CONFIG) --show-bin-path)/conductor"; set -e; \
		install -d "$(BINDIR)" "$(MAN1DIR)" "$(BASHDIR)" "$(ZSHDIR)" "$(FISHDIR)"; \
		install -m 755 "$$bin" "$(BINDIR)/conductor"; \
		awk '$(MANUAL_FIX)' $(MANUAL) > "$(MAN1DIR)/conductor.1"; chmod 644 "$(MAN1DIR)/conductor.1"; \
		"$$bin" --generate-completion-script bash > "$(BASHDIR)/conductor"; \
		"$$bin" --generate-completion-script zsh > "$(ZSHDIR)/_conductor"; \
		"$$bin" --generate-completion-script fish > "$(FISHDIR)/conductor.fish"; \
		echo "installed $(BINDIR)/conductor, $(MAN1DIR)/conductor.1 and completions for bash, zsh and fish"

## uninstall: remove what install put under $(DESTDIR)$(PREFIX)
uninstall:
	rm -f "$(BINDIR)/conductor" "$(MAN1DIR)/conductor.1" "$(BASHDIR)/conductor" "$(ZSHDIR)/_conductor" "$(FISHDIR)/conductor.fish"

clean:
	rm -rf .build
