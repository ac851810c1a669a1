# conductor: every set-up, test and benchmark step is one `make` target.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release

.PHONY: deps build test chaos demo bench clean

## deps: install what conductor and its tests need (libgit2-dev, tmux, GNU parallel, git, python3 for the stand-in agent) when missing
deps:
	@missing=""; \
	pkg-config --exists libgit2 2>/dev/null || missing="$$missing libgit2-dev pkg-config"; \
	command -v tmux >/dev/null || missing="$$missing tmux"; \
	command -v parallel >/dev/null || missing="$$missing parallel"; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

## test: the whole test suite (unit, git, end-to-end)
test: deps
	$(SWIFT) test

## chaos: the chaos suite (workers and batches killed with SIGKILL mid-work); prints its figures
chaos: deps
	@mkdir -p .build
	@CONDUCTOR_CHAOS=1 $(SWIFT) test --filter ChaosTests > .build/chaos.log 2>&1; status=$$?; \
		grep -E "^chaos|recorded an issue|Test run" .build/chaos.log; exit $$status

## demo: build and run the demo on a throwaway repository
demo: deps
	$(SWIFT) build -c release
	fixtures/demo.sh $(RELEASE_BIN)

## bench: every benchmark, side by side with the tools a user would use instead
bench: deps
	$(SWIFT) build -c release
	$(RELEASE_BIN)/conductor-bench

## bench-NAME: one benchmark (worktrees, batch, report, dispatch, scaling, memory)
bench-%: deps
	$(SWIFT) build -c release
	$(RELEASE_BIN)/conductor-bench $*

clean:
	rm -rf .build
