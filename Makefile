# qsslsim — the two commands that matter are `make run` and `make test`.
CARGO ?= cargo
LINK ?= /tmp/qsslsim.pty

.PHONY: run test bench certs lint fmt deps build

## Start the emulator on its built-in defaults: a pty linked at $(LINK) plus a local TLS peer.
run:
	$(CARGO) build --release -q -p qsslsim
	./target/release/qsslsim --demo --link $(LINK) -v

## Every test: unit, integration, pty, TLS against rustls and openssl peers.
test: deps
	$(CARGO) build --workspace --all-targets -q
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --no-fail-fast; \
	else $(CARGO) test --workspace --no-fail-fast; fi
	$(CARGO) test --workspace --doc -q

## Benchmarks: printed as ratios against references measured in the same run.
bench: deps
	$(CARGO) build --release -q -p qsslsim --bins --examples
	python3 bench/run.py

## Regenerate the test PKI in certs/ (rcgen; RSA keys via openssl).
certs:
	$(CARGO) run -q -p qsslsim-tls --example make_certs -- certs

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Packages the tests use (openssl s_server, socat for the bench reference).
deps:
	@command -v openssl >/dev/null && command -v socat >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq openssl socat >/dev/null; }
