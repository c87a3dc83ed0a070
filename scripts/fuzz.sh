#!/usr/bin/env bash
# A bounded fuzzing campaign over packetgate's three fuzz targets (fuzz/fuzz_targets/):
#   packet    arbitrary bytes loaded as a YAML and as a Markdown packet, then judged
#   policy    arbitrary bytes as .packetgate.yml and as a repository policy file
#   evaluate  structured packets (real fields, dates, URLs, claims, secrets) fully judged
# One target at a time, one libFuzzer job (fits a 2-core machine), seeded from fuzz/seeds/.
# A crash, a panic (a broken invariant is a panic), an input slower than 1 s or one that
# needs more than 512 MB is a failure: the input lands in fuzz/artifacts/TARGET/ and the
# script exits 1.
#
#   bash scripts/fuzz.sh                       # every target, 1,000,000 inputs each
#   FUZZ_RUNS=20000 bash scripts/fuzz.sh packet   # a quick run of one target
#   bash scripts/fuzz.sh --fresh evaluate      # forget the corpus fuzz/corpus/ grew so far
#   bash scripts/fuzz.sh packet evaluate & bash scripts/fuzz.sh policy   # both cores
#
# Environment: FUZZ_RUNS (inputs per target, default 1000000), FUZZ_SANITIZER (none, the
# default: packetgate forbids `unsafe` code, and AddressSanitizer made the targets 10-20
# times slower here; `address` to use it anyway), FUZZ_MAX_LEN (largest input in bytes,
# default 8192), FUZZ_TRACE_COMPARES (0, the default: comparison tracing made the targets 3.6
# times slower here, since it instruments every comparison inside the regex engine and the
# YAML parser; a dictionary of YAML syntax, field names, rule ids and values from the
# built-in policies stands in for it; 1 to turn it on). The corpus in fuzz/corpus/ is kept
# between runs, so a campaign starts from everything the earlier ones found.
# Needs: the stable toolchain (RUSTC_BOOTSTRAP=1 unlocks the nightly flags cargo-fuzz passes),
# a C++ compiler (libFuzzer is built from source), network access to crates.io the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cargo_fuzz_version=0.13.2
tools=$root/fuzz/.tools
runs=${FUZZ_RUNS:-1000000}
sanitizer=${FUZZ_SANITIZER:-none}
max_len=${FUZZ_MAX_LEN:-8192}
trace_compares=${FUZZ_TRACE_COMPARES:-0}
all_targets=(packet policy evaluate)

fresh=0
targets=()
for arg in "$@"; do
    case "$arg" in
        --fresh) fresh=1 ;;
        packet | policy | evaluate) targets+=("$arg") ;;
        *)
            echo "fuzz.sh: unknown argument \`$arg\` (targets: ${all_targets[*]}; --fresh)" >&2
            exit 2
            ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# cargo-fuzz, pinned, in a git-ignored folder; reused when the right version is there.
if ! "$tools/bin/cargo-fuzz" --version 2>/dev/null | grep -qF "$cargo_fuzz_version"; then
    echo "== installing cargo-fuzz $cargo_fuzz_version into fuzz/.tools"
    cargo install --locked --quiet cargo-fuzz --version "$cargo_fuzz_version" --root "$tools"
fi
export PATH=$tools/bin:$PATH
export RUSTC_BOOTSTRAP=1

# Release code with debug assertions (integer overflow panics, as in `cargo test`).
# Each build flavour has its own target folder, so switching does not rebuild everything.
build_flags=(--fuzz-dir "$root/fuzz" --debug-assertions --sanitizer "$sanitizer")
target_dir=$root/fuzz/target
if [ "$trace_compares" = 0 ]; then
    build_flags+=(--no-trace-compares)
else
    target_dir=$target_dir/trace-compares
fi
[ "$sanitizer" = none ] || target_dir=$target_dir/$sanitizer
echo "== building the fuzz targets (sanitizer: $sanitizer, trace compares: $trace_compares)"
cargo fuzz build "${build_flags[@]}" --target-dir "$target_dir"
# The binaries are run directly, so every target fuzzes the code as it was built here (a
# `cargo fuzz run` would rebuild whenever the source changed since).
bin=$target_dir/$(rustc -vV | sed -n 's/^host: //p')/release

# The dictionary: YAML syntax, packet-shaped text, and every key and short value of the
# built-in policies (field names, rule ids, kinds, enumerated values, hosts).
dict=$root/fuzz/artifacts/packetgate.dict
mkdir -p "$root/fuzz/artifacts"
{
    printf '%s\n' '"---"' '"..."' '"- "' '": "' '"&a "' '"*a"' '"<<: *a"' '"!!binary "' \
        '"!!str "' '"!!python/object/apply:os.system"' '"|-"' '">+"' '"? "' '"{"' '"}"' '"["' \
        '"]"' '"\x22"' '"\x27"' '"#"' '"\x09"' '"\x0d\x0a"' '"\x0d"' '"\xef\xbb\xbf"' \
        '"\xff\xfe"' '"\xe2\x80\xae"' '"\xe2\x80\x8b"' '"https://"' '"http://"' \
        '"user:pass@"' '"sk-proj-"' '"sk-ant-"' '"AKIA"' '"ghp_"' '"Bearer "' \
        '"Authorization: "' '"2026-11-14"' '"14/11/2026"' '"null"' '"~"' '".inf"' '"0x1F"' \
        '"packet: "' '"policy: "' '"rules:"' '"fields:"' '"extends: "' '"policies:"' \
        '"limits:"' '"fail_on: "' '"max_age_days: "' '"\x5c"' '"$"' '"%"' '"99.9% uptime"'
    grep -ohE '[A-Za-z_][A-Za-z0-9_]*:|\b[a-z0-9][a-z0-9._*-]*[a-z0-9*]\b' "$root"/policies/*.yml |
        awk 'length($0) >= 3 && length($0) <= 40' | sort -u | sed 's/.*/"&"/'
} >"$dict.$$"
mv "$dict.$$" "$dict"

logs=$root/fuzz/artifacts/logs
mkdir -p "$logs"
failed=0
summary=()
for target in "${targets[@]}"; do
    corpus=$root/fuzz/corpus/$target
    artifacts=$root/fuzz/artifacts/$target
    [ "$fresh" = 1 ] && rm -rf "$corpus"
    mkdir -p "$corpus" "$artifacts"
    log=$logs/$target.log
    # `evaluate` reads its bytes as choices (arbitrary), where words mean nothing.
    dict_flag=()
    [ "$target" = evaluate ] || dict_flag=(-dict="$dict")
    touch "$log.start"
    before=$(find "$artifacts" -type f | wc -l)
    echo "== $target: $runs inputs"
    start=$(date +%s.%N)
    status=0
    # libFuzzer's -jobs=1 runs the campaign in one child process and writes its output to
    # fuzz-0.log in the working folder: run it in a folder of its own (two targets may run at
    # once, from two shells) and keep the log. New corpus entries go to the first folder
    # (fuzz/corpus/TARGET); the seeds stay as they are.
    work=$logs/$target.run
    mkdir -p "$work"
    (
        cd "$work"
        rm -f fuzz-0.log
        "$bin/$target" "$corpus" "$root/fuzz/seeds/$target" \
            -runs="$runs" -timeout=1 -rss_limit_mb=512 -max_len="$max_len" \
            -jobs=1 -workers=1 -print_final_stats=1 -artifact_prefix="$artifacts/" \
            "${dict_flag[@]}" \
            >"$log.driver" 2>&1
    ) || status=$?
    end=$(date +%s.%N)
    [ -f "$work/fuzz-0.log" ] && mv "$work/fuzz-0.log" "$log"
    after=$(find "$artifacts" -type f | wc -l)
    crashes=$((after - before))
    stat() { awk -v k="stat::$1:" '$1 == k {v = $2} END {print v}' "$log" 2>/dev/null; }
    executed=$(stat number_of_executed_units)
    rate=$(stat average_exec_per_sec)
    rss=$(stat peak_rss_mb)
    slowest=$(stat slowest_unit_time_sec)
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", b - a}')
    line=$(printf '%-9s %10s inputs  %6s exec/s  %5s s wall  slowest %s s  peak RSS %4s MB  crashes: %d' \
        "$target" "${executed:-?}" "${rate:-?}" "$wall" "${slowest:-?}" "${rss:-?}" "$crashes")
    echo "$line"
    summary+=("$line")
    if [ "$status" != 0 ] || [ "$crashes" -gt 0 ] || [ -z "$executed" ]; then
        failed=1
        echo "   FAILED (exit $status); log: ${log#"$root"/}; new artifacts:"
        find "$artifacts" -type f -newer "$log.start" -printf '     %p\n' 2>/dev/null || true
        grep -m1 -A12 -E 'panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer' "$log" || tail -20 "$log.driver"
    fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
