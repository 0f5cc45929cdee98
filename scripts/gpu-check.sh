#!/bin/sh
# GPU backend checks on a machine with an NVIDIA GPU but without the build
# dependencies (no Criterion, no libinih, no network). Two halves:
#
#   scripts/gpu-check.sh pack [BUILD]   here: build the cuda/cpu plugins and
#       gpu_check in BUILD (default build-gpu), gather them with libinih into
#       BUILD/devkit, and split the default model (98 MB) into BUILD/partA and
#       BUILD/partB so that each travels in one call under a 64 MiB limit.
#   scripts/gpu-check.sh run [BUILD]    there: nvidia-smi, then gpu_check
#       (per-type matmul vs CPU dequantization, tiny-model forward parity and
#       greedy tokens vs the CPU backend, benchmarks), plus the default model
#       when BUILD/partA and BUILD/partB (or a staged /tmp/plume-model.partA)
#       are present. Output goes to stdout and $OUT/gpu-check.txt.
#   scripts/gpu-check.sh stage [BUILD]  there: keep BUILD/partA in /tmp for
#       the next call on the same warm machine.
set -u
mode=${1:-run}
build=${2:-build-gpu}
model=${PLUME_MODEL_DIR:-$HOME/.cache/plume/models}/SmolLM2-135M-Instruct.Q4_1.gguf

case $mode in
pack)
	cmake -S . -B "$build" >/dev/null || exit 1
	cmake --build "$build" -j2 --target plume-backend-cuda plume-backend-cpu gpu_check || exit 1
	rm -rf "$build/devkit" "$build/partA" "$build/partB"
	mkdir -p "$build/devkit/plugins" "$build/partA" "$build/partB"
	cp "$build/tests/gpu/gpu_check" "$build/devkit/"
	cp "$build/plugins/plume-backend-cuda.so" "$build/plugins/plume-backend-cpu.so" \
		"$build/devkit/plugins/"
	cp -L "$(ldconfig -p | awk '/libinih.so.1 /{print $NF; exit}')" "$build/devkit/libinih.so.1"
	if [ -f "$model" ]; then
		half=$(( ($(stat -c %s "$model") + 1) / 2 ))
		head -c "$half" "$model" >"$build/partA/model.part"
		tail -c +"$((half + 1))" "$model" >"$build/partB/model.part"
		sha256sum "$model" | cut -d' ' -f1 >"$build/partB/model.sha256"
	fi
	du -sh "$build/devkit" "$build/partA" "$build/partB"
	;;
stage)
	[ -f "$build/partA/model.part" ] && cp "$build/partA/model.part" /tmp/plume-model.partA
	ls -la /tmp/plume-model.partA
	;;
run)
	out=${OUT:-/tmp}
	export LD_LIBRARY_PATH="$PWD/$build/devkit${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	export PLUME_PLUGIN_PATH="$PWD/$build/devkit/plugins"
	{
		nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
		a="$build/partA/model.part"
		[ -f "$a" ] || a=/tmp/plume-model.partA
		m=""
		if [ -f "$a" ] && [ -f "$build/partB/model.part" ]; then
			cat "$a" "$build/partB/model.part" >/tmp/plume-model.gguf
			if [ "$(sha256sum /tmp/plume-model.gguf | cut -d' ' -f1)" = \
			     "$(cat "$build/partB/model.sha256")" ]; then
				m=/tmp/plume-model.gguf
			else
				echo "model halves do not reassemble (checksum): default-model checks skipped"
			fi
		else
			echo "SKIPPED: default model not brought over: default-model checks skipped"
		fi
		timeout 500 "$build/devkit/gpu_check" $m ${m:+tests/data/golden/smollm2_q4_1.json}
		echo "gpu_check exit status $?"
	} 2>&1 | tee "$out/gpu-check.txt"
	;;
*)
	echo "usage: $0 pack|stage|run [BUILD]" >&2
	exit 2
	;;
esac
