#!/usr/bin/env bash
# `make setup` step: make p4c-bm2-ss and simple_switch_grpc available to `make p4` and the tests.
#
# 1. Both on PATH already (a lab install)                       -> use them, nothing to do.
# 2. The bundle is already unpacked in .p4-toolchain/p4-toolchain -> check it runs.
# 3. A prebuilt bundle (p4-toolchain-*.tar.xz + SHA256SUMS) is found in $P4_TOOLCHAIN_BUNDLE,
#    ../shared/p4-toolchain or ../../shared/p4-toolchain           -> verify, unpack, apt-get its
#    runtime libraries (root only).
# 4. Otherwise print how to get it and exit 0: the P4 tests then skip, saying why.
# Never fails `make setup` for a missing toolchain (exit 1 only for a corrupt bundle).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=.p4-toolchain
HOME_DIR=$DEST/p4-toolchain
# Debian 12 runtime libraries of the bundle (../shared/p4-toolchain/README.md lists the same).
RUNTIME_PKGS="cpp libgc1 libboost-iostreams1.74.0 libboost-program-options1.74.0 libboost-filesystem1.74.0
libboost-thread1.74.0 libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libgmp10 libpcap0.8"

works() {  # both tools start and print their version
    "$1" --version >/dev/null 2>&1 && "$2" --version >/dev/null 2>&1
}

if command -v p4c-bm2-ss >/dev/null && command -v simple_switch_grpc >/dev/null; then
    echo "p4-toolchain: using $(command -v p4c-bm2-ss) and $(command -v simple_switch_grpc) from PATH"
    exit 0
fi
if [ -x "$HOME_DIR/bin/p4c-bm2-ss" ] && works "$HOME_DIR/bin/p4c-bm2-ss" "$HOME_DIR/bin/simple_switch_grpc"; then
    echo "p4-toolchain: $HOME_DIR is in place"
    exit 0
fi

BUNDLE_DIR=""
for d in "${P4_TOOLCHAIN_BUNDLE:-}" ../shared/p4-toolchain ../../shared/p4-toolchain; do
    if [ -n "$d" ] && [ -f "$d/SHA256SUMS" ] && ls "$d"/p4-toolchain-*.tar.xz >/dev/null 2>&1; then
        BUNDLE_DIR=$d
        break
    fi
done
if [ -z "$BUNDLE_DIR" ]; then
    cat <<EOF
p4-toolchain: not found (no p4c-bm2-ss/simple_switch_grpc on PATH, no prebuilt bundle in
  \$P4_TOOLCHAIN_BUNDLE, ../shared/p4-toolchain or ../../shared/p4-toolchain).
  The P4 compile check, BMv2 and differential tests will skip. To get the toolchain:
  - install p4c and BMv2 (simple_switch_grpc, built with PI) so both are on PATH, or
  - point P4_TOOLCHAIN_BUNDLE at a folder with p4-toolchain-*.tar.xz and SHA256SUMS, or
  - build it from upstream git: tools/build_p4_toolchain.sh (about 2 hours on 2 cores).
EOF
    exit 0
fi

echo "p4-toolchain: verifying $BUNDLE_DIR"
(cd "$BUNDLE_DIR" && sha256sum -c --quiet SHA256SUMS) || { echo "p4-toolchain: checksum mismatch in $BUNDLE_DIR" >&2; exit 1; }
if [ -L "$DEST" ] && [ ! -e "$DEST" ]; then rm -f "$DEST"; fi  # dangling link from another checkout
mkdir -p "$DEST"
tar -xJf "$BUNDLE_DIR"/p4-toolchain-*.tar.xz -C "$DEST"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $RUNTIME_PKGS >/dev/null
else
    echo "p4-toolchain: not root or no apt-get; install these runtime libraries yourself: $RUNTIME_PKGS"
fi
if works "$HOME_DIR/bin/p4c-bm2-ss" "$HOME_DIR/bin/simple_switch_grpc"; then
    echo "p4-toolchain: unpacked into $HOME_DIR"
else
    echo "p4-toolchain: unpacked into $HOME_DIR but the tools do not start (missing libraries?):" >&2
    ldd "$HOME_DIR/bin/simple_switch_grpc" | grep "not found" >&2 || true
fi
