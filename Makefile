# repro: reproduces Figure 1 of "A new initialization method based on normed statistical spaces in
# deep networks". `make all` runs everything; `make test` runs the tests. Both set themselves up.
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
export LIBTORCH_USE_PYTORCH := 1
export PATH := $(VENV)/bin:$(PATH)
REPRO := target/release/repro
SEEDS ?= 5
RESULTS ?= results
FIGURES ?= figures
DATA ?= data/mnist
RUN_FLAGS ?=

.PHONY: all setup venv data build test fig1a fig1b fig1c fig1d panels summary plot bench sweep clean distclean

all: panels summary plot

setup: venv data

venv: $(VENV)/.torch-ready
$(VENV)/.torch-ready: scripts/setup-libtorch.sh
	scripts/setup-libtorch.sh
	touch $@

# Always runs: the script verifies the checksums (a fraction of a second) and fetches only if needed.
data:
	scripts/fetch-mnist.sh $(DATA)

build: venv
	cargo build --release

test: venv
	cargo test --release

fig1a fig1b fig1c fig1d: build data
	$(REPRO) run --figure $(subst fig,,$@) --seeds $(SEEDS) --data $(DATA) --out $(RESULTS) $(RUN_FLAGS)

panels: fig1a fig1b fig1c fig1d

summary: build
	$(REPRO) summary --results $(RESULTS)

plot: build
	$(REPRO) plot --results $(RESULTS) --out $(FIGURES)

bench: build
	$(REPRO) bench

# Where each initializer works (README): the measured grid on panels 1c and 1b, and the
# unshared control 1a (there every r = 1, so ours and ours-variance equal xavier-he).
SWEEP_FLAGS ?= --lr 0.003,0.01,0.03,0.1 --alpha 0,0.25,0.5,1 --seeds 3 --steps 300
SWEEP_INITS ?= xavier-he,ours,ours-variance,orthogonal,lsuv
sweep: build data
	$(REPRO) sweep --figure 1c --data $(DATA) --out $(RESULTS) --inits $(SWEEP_INITS) $(SWEEP_FLAGS)
	$(REPRO) sweep --figure 1b --data $(DATA) --out $(RESULTS) --inits $(SWEEP_INITS) $(SWEEP_FLAGS)
	$(REPRO) sweep --figure 1a --data $(DATA) --out $(RESULTS) --inits xavier-he,orthogonal,lsuv $(SWEEP_FLAGS)
	$(REPRO) plot --results $(RESULTS) --out $(FIGURES)

clean:
	cargo clean

distclean: clean
	rm -rf .venv data
