# Orbitr. `make run` serves on http://127.0.0.1:8080 with data in ./data; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := run
.PHONY: run test build build-dev image tools lint bench clean

tools:
	@bash tools/install.sh

build: tools
	bash tools/build-site.sh release
	cargo build --release -p server --bin orbitr

build-dev: tools
	bash tools/build-site.sh dev
	cargo build -p server --bin orbitr

run: build
	./target/release/orbitr serve

# Orbitr as a container image tagged `orbitr` (nothing pulled: see Dockerfile).
image: build
	bash tools/image.sh target/release/orbitr orbitr

lint: tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

test: tools
	bash tools/test.sh

bench: build
	cargo build --profile bench-release -p bench
	./target/bench-release/footprint
	./target/bench-release/auth
	./target/bench-release/state
	./target/bench-release/deploy
	./target/bench-release/logs
	./target/bench-release/marketplace

clean:
	cargo clean
