# Custos — the commands a newcomer needs. `make run` and `make test` install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# Debian 12 packages the build, the tests and the benchmarks need (DESIGN.md §6).
DEBIAN_PACKAGES := \
  cmake ninja-build pkg-config ccache g++ make python3 curl ca-certificates \
  libboost1.74-dev nlohmann-json3-dev libsqlite3-dev sqlite3 \
  libpq-dev postgresql-15 postgresql-client-15 \
  libssl-dev libsodium-dev liboath-dev libqrencode-dev zlib1g-dev \
  libspdlog-dev libfmt-dev prometheus-cpp-dev libcli11-dev libtomlplusplus-dev libzstd-dev zstd \
  libdeflate-dev \
  libjemalloc-dev \
  googletest libgtest-dev libgmock-dev libbenchmark-dev \
  wrk valgrind chromium clang-format

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DATA_DIR ?= var
PORT ?= 8080
CUSTOS := build/dev/custos
DEPS_STAMP := build/.deps-$(shell echo '$(DEBIAN_PACKAGES)' | md5sum | cut -c1-12)
WEB_STAMP := web/node_modules/.package-lock.json

.PHONY: deps build build-asan web run test test-unit test-e2e bench format tidy clean

## deps: install missing Debian packages (idempotent) and the web app's npm packages
deps: $(DEPS_STAMP) $(WEB_STAMP)

$(DEPS_STAMP):
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing="$$missing nodejs npm"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p build && touch $@

$(WEB_STAMP): web/package-lock.json | $(DEPS_STAMP)
	cd web && npm ci --no-audit --no-fund
	@touch $@

## build: the custos binary (build/dev/custos) and the web app (web/dist)
build: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev
	$(MAKE) web

web: $(WEB_STAMP)
	npm --prefix web run build

build-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan

## run: build, create ./var with demo users, and serve on http://127.0.0.1:$(PORT)
run: build
	@$(CUSTOS) init --data-dir $(DATA_DIR) --demo
	@echo
	@echo "Open http://127.0.0.1:$(PORT) in a browser and log in with one of the users above."
	$(CUSTOS) serve --data-dir $(DATA_DIR) --http-port $(PORT) --demo

## test: every test — unit and integration (also under ASan+UBSan) on SQLite and a throw-away
## PostgreSQL 15, the browser tests in Chromium, and independent FHIR clients against /fhir
test: build build-asan
	tests/with_postgres.sh bash -c 'ctest --preset dev && ctest --preset asan'
	CUSTOS_E2E_SKIP_BUILD=1 CUSTOS_BIN=$(CUSTOS) tests/e2e/run.sh
	CUSTOS_BIN=$(CUSTOS) tests/fhir-clients/run.sh

test-unit: build
	tests/with_postgres.sh ctest --preset dev

test-e2e: build
	CUSTOS_E2E_SKIP_BUILD=1 CUSTOS_BIN=$(CUSTOS) tests/e2e/run.sh

## bench: the figures in docs/BENCHMARKS.md
bench: build
	bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: build
	clang-tidy -p build/dev $$(git ls-files 'src/*.cc')

clean:
	rm -rf build web/dist
