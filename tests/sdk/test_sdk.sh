#!/usr/bin/env bash
# tests/sdk (CTest `sdk`): the plugin SDK as a third party uses it.
#  1. `cmake --install` this build into a temporary prefix: plume, the
#     plugins, the headers, plume-plugin.pc and the CMake package;
#  2. the installed plume finds the installed plugins (no PLUME_PLUGIN_PATH);
#  3. plugins/examples/entropy-greedy is configured and built out of tree
#     against that prefix only, with find_package(plume) and with pkg-config;
#     each .so exports exactly plume_plugin_entry;
#  4. plume runs it by path on the default model: it generates; with a
#     threshold no entropy reaches it equals greedy's tokens; with threshold 0
#     it samples (reproducible from the seed, not greedy's tokens);
#  5. a copy built with the next ABI major is refused, naming both versions.
# Needs PLUME_BINARY_DIR and PLUME_SOURCE_DIR (set by CTest). Steps 4-5 say
# SKIPPED without the default model (and fail in CI).
set -uo pipefail

src=${PLUME_SOURCE_DIR:?}
bin=${PLUME_BINARY_DIR:?}
cmake=${PLUME_CMAKE:-cmake}
export CC=${PLUME_C_COMPILER:-cc}
# The example is built as a third party would build it, uninstrumented even
# in the sanitizer build: the sanitized plume loads it like any other plugin.
example=$src/plugins/examples/entropy-greedy
model=${PLUME_MODEL_DIR:-$HOME/.cache/plume/models}/SmolLM2-135M-Instruct.Q4_1.gguf
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plume-sdk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
step() { echo "== $*"; }
quiet() { # run, show the output only on failure
	local log=$tmp/cmd.log
	if ! "$@" >"$log" 2>&1; then
		cat "$log"
		return 1
	fi
}

step "install into $tmp/prefix"
prefix=$tmp/prefix
quiet "$cmake" --install "$bin" --prefix "$prefix" || { echo "FAIL: cmake --install"; exit 1; }
for f in bin/plume include/plume/plugin.h include/plume/strategy.h include/plume/logits.h; do
	[ -e "$prefix/$f" ] || fail "$f not installed"
done
pcdir=$(dirname "$(find "$prefix" -name plume-plugin.pc | head -1)")
cfgdir=$(dirname "$(find "$prefix" -name plumeConfig.cmake | head -1)")
[ -f "$pcdir/plume-plugin.pc" ] || fail "plume-plugin.pc not installed"
[ -f "$cfgdir/plumeConfig.cmake" ] || fail "plumeConfig.cmake not installed"
export PKG_CONFIG_PATH=$pcdir
plugindir=$(pkg-config --variable=plugindir plume-plugin)
abi_major=$(pkg-config --variable=abi_major plume-plugin)
abi_minor=$(pkg-config --variable=abi_minor plume-plugin)
grep -q "^#define PLUME_ABI_MAJOR $abi_major\$" "$prefix/include/plume/plugin.h" ||
	fail "pkg-config abi_major '$abi_major' differs from the installed header"
[ -f "$plugindir/plume-strategy-greedy.so" ] ||
	fail "pkg-config plugindir '$plugindir' has no plume-strategy-greedy.so"

step "installed plume finds installed plugins"
if ! (unset PLUME_PLUGIN_PATH; "$prefix/bin/plume" plugins) >"$tmp/plugins.txt" 2>&1; then
	cat "$tmp/plugins.txt"
	fail "installed plume plugins"
fi
# the first greedy on the search path must be the installed one
first=$(grep -A1 -m1 "^ *strategy *greedy " "$tmp/plugins.txt" | tail -1 | tr -d ' ')
[ -n "$first" ] && [ "$(readlink -f "$first")" = "$(readlink -f "$plugindir/plume-strategy-greedy.so")" ] ||
	{ cat "$tmp/plugins.txt"; fail "installed plume finds greedy at '$first', not in $plugindir"; }

exports_only_entry() {
	local syms
	syms=$(nm -D --defined-only "$1" | awk '{print $NF}' | sort -u)
	[ "$syms" = plume_plugin_entry ] || fail "$1 exports: $(echo $syms)"
}

step "build the example with find_package(plume)"
if quiet "$cmake" -S "$example" -B "$tmp/eg-cmake" -DCMAKE_PREFIX_PATH="$prefix" &&
	quiet "$cmake" --build "$tmp/eg-cmake"; then
	so_cmake=$tmp/eg-cmake/plume-strategy-entropy-greedy.so
	exports_only_entry "$so_cmake"
else
	fail "find_package build"
fi

step "build the example with pkg-config"
if quiet "$cmake" -S "$example" -B "$tmp/eg-pc" -DUSE_PKG_CONFIG=ON &&
	quiet "$cmake" --build "$tmp/eg-pc"; then
	so_pc=$tmp/eg-pc/plume-strategy-entropy-greedy.so
	exports_only_entry "$so_pc"
else
	fail "pkg-config build"
fi

step "build a copy for ABI major $((abi_major + 1))"
quiet "$cmake" -S "$example" -B "$tmp/eg-next" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_FLAGS="-include $src/tests/sdk/abi_next.h" && quiet "$cmake" --build "$tmp/eg-next" ||
	fail "ABI-next build"
grep -q "PLUME_ABI_MAJOR $((abi_major + 1))" "$src/tests/sdk/abi_next.h" ||
	fail "tests/sdk/abi_next.h does not declare ABI major $((abi_major + 1))"

if [ ! -r "$model" ]; then
	[ "${CI:-}" = true ] && fail "model $model missing in CI (scripts/fetch-model)"
	echo "SKIPPED: sdk: generation checks: model not found at $model (run scripts/fetch-model)"
	[ $failures -eq 0 ] && { echo "sdk: install and build checks passed"; exit 0; }
	exit 1
fi

run() { # run STRATEGY_SET... -> generated_ids on stdout
	local out
	out=$("$bin/plume" run -c "$src/conf/default.ini" -m "$model" -t 2 -n 16 --seed 7 --json \
		-p "Once upon a time" "$@" 2>"$tmp/run.err") || { cat "$tmp/run.err" >&2; return 1; }
	echo "$out" | grep -o '"generated_ids":\[[^]]*\]'
}

step "plume runs the example by path"
greedy=$(run --set engine.strategy=greedy) || fail "greedy run"
if [ -n "${so_cmake:-}" ]; then
	so=$so_cmake
	ids=$(run --set engine.strategy="$so") || fail "run $so"
	[ -n "$ids" ] && [ "$ids" != '"generated_ids":[]' ] || fail "$so generated nothing"
	echo "   entropy-greedy (threshold 2.0): ${ids#*:}"
	high=$(run --set engine.strategy="$so" --set strategy.entropy-greedy.threshold=1000) ||
		fail "run $so threshold=1000"
	[ "$high" = "$greedy" ] || fail "threshold=1000 differs from greedy: $high vs $greedy"
	s1=$(run --set engine.strategy="$so" --set strategy.entropy-greedy.threshold=0)
	s2=$(run --set engine.strategy="$so" --set strategy.entropy-greedy.threshold=0)
	[ "$s1" = "$s2" ] || fail "threshold=0 not reproducible from the seed: $s1 vs $s2"
	[ "$s1" != "$greedy" ] || fail "threshold=0 gave greedy's tokens: no sampling happened"
	if [ -n "${so_pc:-}" ]; then
		pc=$(run --set engine.strategy="$so_pc") || fail "run $so_pc"
		[ "$pc" = "$ids" ] || fail "the pkg-config build differs: $pc vs $ids"
	fi
fi

step "a plugin for ABI major $((abi_major + 1)) is refused"
if "$bin/plume" run -c "$src/conf/default.ini" -m "$model" -n 4 -p "Hi" \
	--set engine.strategy="$tmp/eg-next/plume-strategy-entropy-greedy.so" >/dev/null 2>"$tmp/abi.err"; then
	fail "plume accepted a plugin built for ABI major $((abi_major + 1))"
fi
cat "$tmp/abi.err"
grep -q "ABI $((abi_major + 1))\.[0-9]" "$tmp/abi.err" || fail "message does not name the plugin's ABI"
grep -q "ABI $abi_major\.$abi_minor" "$tmp/abi.err" || fail "message does not name plume's ABI $abi_major.$abi_minor"

if [ $failures -ne 0 ]; then
	echo "sdk: $failures failure(s)"
	exit 1
fi
echo "sdk: all checks passed"
