# OmniPlan build, test and run targets. `make setup` works on a fresh Debian machine (apt as root).
PY        ?= python3
VENV      := .venv
P4RT_VENV := .venv-p4rt
PYTHON    := $(VENV)/bin/python
PIP       := $(VENV)/bin/pip
APT_PKGS  := mininet openvswitch-switch iputils-ping iproute2 net-tools tcpdump

.PHONY: setup apt venv p4rt-venv p4-toolchain p4 test test-fast bench run serve clean

setup: apt venv p4rt-venv p4-toolchain

apt:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PKGS); \
	else echo "apt: not root or no apt-get; skipping $(APT_PKGS) (Mininet tests will skip)"; fi

venv:
	test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: this takes the local CPU wheel instead of a CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[test]'

# p4runtime-shell pins protobuf < 3.21, which clashes with OR-Tools: it lives in its own venv and
# is used as an independent P4Runtime client (interop tests, operator debug shell).
p4rt-venv:
	test -x $(P4RT_VENV)/bin/python || $(PY) -m venv $(P4RT_VENV)
	$(P4RT_VENV)/bin/pip install -q --upgrade pip
	$(P4RT_VENV)/bin/pip install -q p4runtime-shell

# p4c + BMv2: from PATH, else the prebuilt bundle unpacked into .p4-toolchain/, else it says how
# to get it (tools/build_p4_toolchain.sh rebuilds it from upstream git).
p4-toolchain:
	bash tools/setup_p4_toolchain.sh

# Compile p4src/inml.p4 into p4src/build/inml.json (BMv2) + inml.p4info.txtpb; fails when p4c
# fails or when the committed p4src/inml.p4info.txtpb is not byte-identical to its output.
p4:
	$(PYTHON) -m p4src.toolchain compile

test:
	$(PYTHON) -m pytest -q

test-fast:
	$(PYTHON) -m pytest -q -m "not slow"

bench:
	$(PYTHON) -m bench.bench_planning

serve:
	$(VENV)/bin/omniplan serve

# Mininet demo (root): switches + controller + traffic until Ctrl-C. Options, e.g.
#   make run RUN_ARGS="--topo line3 --switches 0 --rate 100 --intent 'minimize latency'"
run:
	$(PYTHON) -m mininet_topos.run $(RUN_ARGS)

# After a crashed `make run`: remove exactly what it recorded (processes by pid, its interfaces);
# the scoped equivalent of `mn -c`, which would kill other users' ping/mnexec processes.
.PHONY: run-clean
run-clean:
	$(PYTHON) -m mininet_topos.cleanup

clean:
	rm -rf $(VENV) $(P4RT_VENV) build p4src/build *.egg-info
