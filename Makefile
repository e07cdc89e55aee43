# qsslsim — the two commands that matter are `make run` and `make test`.
CARGO ?= cargo
LINK ?= /tmp/qsslsim.pty
CTL ?= /tmp/qsslsim.ctl

.PHONY: run install test bench certs lint fmt deps build fuzz soak pytest pytest-plugin

## Start the emulator on its built-in defaults: a pty linked at $(LINK), a local TLS peer and
## the control socket at $(CTL). The build shows cargo's progress (the first one takes minutes).
run:
	@echo "Building qsslsim (release; the first build takes a few minutes)..."
	$(CARGO) build --release -p qsslsim
	./target/release/qsslsim --demo --link $(LINK) --control $(CTL) -v

## Put `qsslsim` on PATH (~/.cargo/bin): the same as `cargo install --path crates/qsslsim`.
install:
	$(CARGO) install --locked --path crates/qsslsim

## Every test: unit, integration, pty, TLS against rustls and openssl peers.
test: deps
	$(CARGO) build --workspace --all-targets -q
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --no-fail-fast; \
	else $(CARGO) test --workspace --no-fail-fast; fi
	$(CARGO) test --workspace --doc -q
	$(MAKE) -s pytest

## The independent pyserial clients, then the pytest plugin, against the debug binary.
pytest:
	$(CARGO) build -q -p qsslsim
	QSSLSIM_BIN=$(CURDIR)/target/debug/qsslsim python3 -m pytest -q tests/python
	$(MAKE) -s pytest-plugin

## The pytest plugin in python/ as a user gets it: `pip install ./python` into a fresh virtual
## environment (pyserial, pytest, pytest-xdist from PyPI), its own tests, then examples/pytest
## copied to a directory outside the repository and run there on two xdist workers.
pytest-plugin:
	$(CARGO) build -q -p qsslsim
	@python3 -c "import ensurepip" 2>/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; }
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	python3 -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/pip" install -q --disable-pip-version-check ./python pyserial pytest pytest-xdist && \
	export QSSLSIM_BIN=$(CURDIR)/target/debug/qsslsim && \
	"$$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider python/tests && \
	mkdir "$$tmp/outside" && cp examples/pytest/test_flow.py "$$tmp/outside/" && \
	cd "$$tmp/outside" && "$$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider -n 2 test_flow.py

## Benchmarks: printed as ratios against references measured in the same run.
bench: deps
	$(CARGO) build --release -q -p qsslsim --bins --examples
	python3 bench/run.py

## Fuzz every target for a bounded time (FUZZ_SECONDS each, default 60).
fuzz:
	bash fuzz/run.sh

## Soak: all twelve sockets, random modes and faults, every byte verified (SOAK_MINUTES, default
## 10), then hostile servers (stall, reset, trickle) behind a busy host (SOAK_HOSTILE_MINUTES, 3),
## then the first run again inside a CMUX session (SOAK_CMUX_MINUTES, 3).
SOAK_MINUTES ?= 10
SOAK_HOSTILE_MINUTES ?= 3
SOAK_CMUX_MINUTES ?= 3
soak:
	$(CARGO) run --release -q -p qsslsim --example soak -- --minutes $(SOAK_MINUTES)
	$(CARGO) run --release -q -p qsslsim --example soak -- --hostile --minutes $(SOAK_HOSTILE_MINUTES)
	$(CARGO) run --release -q -p qsslsim --example soak -- --cmux --minutes $(SOAK_CMUX_MINUTES)

## Regenerate the test PKI in certs/ (rcgen; RSA keys via openssl).
certs:
	$(CARGO) run -q -p qsslsim-tls --example make_certs -- certs

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Packages the build and tests use: libssl-dev + pkg-config (the second TLS engine, feature
## legacy-tls), openssl s_server, socat for the bench reference, pyserial + pytest.
deps:
	@command -v openssl >/dev/null && command -v socat >/dev/null && command -v pkg-config >/dev/null && \
	  pkg-config --exists openssl || \
	  { apt-get update -qq && apt-get install -y -qq openssl socat libssl-dev pkg-config >/dev/null; }
	@python3 -c "import serial, pytest" 2>/dev/null || python3 -m pip install -q pyserial pytest
