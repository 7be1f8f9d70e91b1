#!/usr/bin/env bash
# Rebuild the P4 toolchain bundle (p4c-bm2-ss + p4test, PI, BMv2 simple_switch_grpc) from upstream
# git on Debian 12, following ../shared/p4-toolchain/RECIPE.md step by step (same commits, flags
# and apt packages), and pack it as p4-toolchain-debian12-x86_64.tar.xz + SHA256SUMS, the form
# tools/setup_p4_toolchain.sh unpacks. For machines with neither a PATH install nor the bundle.
#
#   tools/build_p4_toolchain.sh [OUT_DIR]        (default OUT_DIR: ./p4-toolchain-bundle)
#
# Sources: GitHub by default; set GIT_BASE to a folder of local bare mirrors named like
# p4lang+p4c, p4lang+behavioral-model, p4lang+PI, p4lang+p4runtime, openconfig+gnmi,
# troydhanson+uthash, google+googletest (offline builds). Needs root for apt-get, about 10 GB of
# disk and ~2 hours on 2 cores (p4c alone took 72 minutes). BUILD (default /tmp/p4-toolchain-build)
# keeps the checkouts, so a second run resumes.
set -euo pipefail
OUT=$(realpath -m "${1:-p4-toolchain-bundle}")
BUILD=${BUILD:-/tmp/p4-toolchain-build}
PREFIX=$BUILD/prefix/p4-toolchain
JOBS=${JOBS:-2}
P4C_REF=32893b7e879db9e1c368d3568d41cb3d20c034d0          # v1.2.4.8: protobuf 21.12, no abseil
P4RUNTIME_FOR_P4C=1e771c4e05c4e7e250df00212b3ca02ee3202d71
PI_REF=2bb40f7
BMV2_REF=ec328ab8

repo() {  # repo OWNER NAME -> clone URL (GitHub, or $GIT_BASE/OWNER+NAME)
    if [ -n "${GIT_BASE:-}" ]; then echo "$GIT_BASE/$1+$2"; else echo "https://github.com/$1/$2.git"; fi
}
step() { echo "== $* ($(date +%H:%M:%S))"; }

step "1. apt packages"
if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends build-essential cmake bison flex \
        libfl-dev libgmp-dev libboost-dev libboost-iostreams-dev libboost-graph-dev libboost-program-options-dev \
        libboost-system-dev libboost-filesystem-dev libboost-thread-dev libgc-dev libprotobuf-dev \
        protobuf-compiler libprotoc-dev libgrpc++-dev protobuf-compiler-grpc libabsl-dev python3 pkg-config \
        autoconf automake libtool libpcap-dev libjudy-dev libreadline-dev libssl-dev git ccache xz-utils
else
    echo "not root: assuming RECIPE.md's apt packages are installed"
fi
mkdir -p "$BUILD" "$PREFIX/bin" "$PREFIX/share/p4c" "$OUT"
cd "$BUILD"

step "2. p4c $P4C_REF"
if [ ! -d p4c ]; then
    git clone -q --no-checkout "$(repo p4lang p4c)" p4c
    # a mirror may lack blobs >= 4 MiB (docs/*.pptx): keep them out of the checkout
    (cd p4c && git sparse-checkout init --no-cone && printf '/*\n!/docs/*.pptx\n' > .git/info/sparse-checkout)
fi
git -C p4c checkout -q "$P4C_REF"
[ -d p4runtime ] || git clone -q --no-checkout "$(repo p4lang p4runtime)" p4runtime
[ -d p4runtime-for-p4c ] || git -C p4runtime worktree add -q --detach ../p4runtime-for-p4c "$P4RUNTIME_FOR_P4C"
mkdir -p p4c/build
(cd p4c/build && nice -n 19 cmake .. -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
    -DENABLE_BMV2=ON -DENABLE_EBPF=OFF -DENABLE_UBPF=OFF -DENABLE_DPDK=OFF -DENABLE_P4TC=OFF \
    -DENABLE_GTESTS=OFF -DENABLE_P4C_GRAPHS=OFF -DENABLE_TEST_TOOLS=OFF -DENABLE_P4TEST=ON -DENABLE_DOCS=OFF \
    -DP4C_USE_PREINSTALLED_PROTOBUF=ON -DFETCHCONTENT_FULLY_DISCONNECTED=ON \
    -DFETCHCONTENT_SOURCE_DIR_P4RUNTIME="$BUILD/p4runtime-for-p4c" >/dev/null)
nice -n 19 make -C p4c/build -j"$JOBS" p4c-bm2-ss p4test
cp p4c/build/backends/bmv2/p4c-bm2-ss p4c/build/backends/p4test/p4test "$PREFIX/bin/"
strip "$PREFIX/bin/p4c-bm2-ss" "$PREFIX/bin/p4test"
rm -rf "$PREFIX/share/p4c/p4include" && cp -r p4c/p4include "$PREFIX/share/p4c/"

step "3. PI $PI_REF (P4Runtime server library)"
if [ ! -d PI ]; then
    git clone -q --no-checkout "$(repo p4lang PI)" PI
fi
(
    cd PI && git checkout -q "$PI_REF" && git submodule init >/dev/null
    git config submodule.proto/p4runtime.url "$(repo p4lang p4runtime)"
    git config submodule.proto/openconfig/gnmi.url "$(repo openconfig gnmi)"
    git config submodule.third_party/uthash.url "$(repo troydhanson uthash)"
    git config submodule.third_party/googletest.url "$(repo google googletest)"
    git -c protocol.file.allow=always submodule update -q proto/p4runtime proto/openconfig/gnmi \
        third_party/uthash third_party/googletest
    nice -n 19 ./autogen.sh >/dev/null
    nice -n 19 ./configure -q --prefix="$PREFIX" --with-proto --without-internal-rpc --without-cli \
        --without-bmv2 --disable-static CFLAGS=-O2 CXXFLAGS=-O2
    nice -n 19 make -j"$JOBS" >/dev/null
    make install >/dev/null
)

step "4. behavioral-model $BMV2_REF (simple_switch_grpc only)"
[ -d behavioral-model ] || git clone -q --no-checkout "$(repo p4lang behavioral-model)" behavioral-model
(
    cd behavioral-model && git checkout -q "$BMV2_REF"
    nice -n 19 ./autogen.sh >/dev/null
    nice -n 19 ./configure -q --prefix="$PREFIX" --with-pi --without-thrift --without-nanomsg \
        --disable-static CXXFLAGS=-O2 CFLAGS=-O2 CPPFLAGS="-I$PREFIX/include" \
        LDFLAGS="-L$PREFIX/lib -Wl,-rpath,$PREFIX/lib"
    for d in third_party src include PI services targets/simple_switch targets/simple_switch_grpc; do
        nice -n 19 make -j"$JOBS" -C "$d" >/dev/null
        make -C "$d" install >/dev/null
    done
)

step "5. relocatable (RUNPATH \$ORIGIN, as in the shipped bundle), check and pack"
rm -rf "$PREFIX/include" "$PREFIX/lib/pkgconfig" "$PREFIX"/lib/*.la
command -v patchelf >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf
patchelf --set-rpath '$ORIGIN/../lib' "$PREFIX/bin/simple_switch_grpc"
for lib in "$PREFIX"/lib/*.so.*.*.*; do patchelf --set-rpath '$ORIGIN' "$lib"; done
P4C_16_INCLUDE_PATH="$PREFIX/share/p4c/p4include" "$PREFIX/bin/p4c-bm2-ss" --version
"$PREFIX/bin/simple_switch_grpc" --version
tar -C "$BUILD/prefix" -cJf "$OUT/p4-toolchain-debian12-x86_64.tar.xz" p4-toolchain
(cd "$OUT" && sha256sum p4-toolchain-debian12-x86_64.tar.xz > SHA256SUMS)
echo "bundle: $OUT (use: P4_TOOLCHAIN_BUNDLE=$OUT make p4-toolchain)"
