#!/usr/bin/env bash
# tests/e2e/run.sh: the real-kernel test of vfnet.
#
# Boots a stock Debian kernel in QEMU (q35, intel-iommu, an emulated Intel
# 82576 igb behind a PCIe root port, no network backend) with the static
# vfnet binary in a busybox initramfs, runs the scenarios in
# tests/e2e/scenarios/ inside the guest and reports every step:
#
#   PASS  01-list-empty: vfnet list shows the igb PF with 0/7 VFs
#   FAIL  04-set-over: vfnet set PF 8 fails ...   (followed by its output)
#   ...
#   41 passed, 1 failed
#
# Exit status 0 only when every step passed and every scenario finished.
# See tests/e2e/README.md for the options, environment and how to add a scenario.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
CACHE=${E2E_CACHE:-$E2E_DIR/cache}
OUT=${E2E_OUT:-$E2E_DIR/out}
BUILD=$OUT/build
TIMEOUT=${E2E_TIMEOUT:-600}     # seconds, per boot (QEMU can hang)
# A guest that reports no result for this long is stuck (a hung vfnet is
# killed by the guest's own per-command timeout; this catches a stuck
# guest kernel): QEMU is stopped and its unfinished scenarios fail.
IDLE_TIMEOUT=${E2E_IDLE_TIMEOUT:-240}
ACCEL=${E2E_ACCEL:-auto}        # auto | kvm | tcg
# One vCPU: under TCG a second vCPU has lost timer interrupts here (RCU
# stall, the guest hangs) and buys no speed for this serial workload.
SMP=${E2E_SMP:-1}
# Variables forwarded into the guest (see guest/lib.sh and the scenarios).
GUEST_VARS="E2E_CMD_TIMEOUT E2E_TIME_ROUNDS E2E_MAX_RATIO"

usage() {
  cat <<'EOF'
Usage: tests/e2e/run.sh [--scenario NAME]... [--list] [--shell] [--no-build]

  -s, --scenario NAME  run only NAME: a file name in tests/e2e/scenarios/ without
                       .sh (02-set-3), its number (02), its name (set-3) or a
                       glob (0[2-4]*); repeat or separate with commas for more.
                       Same as E2E_SCENARIO=NAME.
  -l, --list           list the scenarios and exit
      --shell          boot with the console on this terminal and, after the
                       selected scenarios (none by default), give a guest shell
      --no-build       do not run cargo; use the vfnet binary already built
  -h, --help           this text

Environment: E2E_SCENARIO, E2E_ACCEL (auto|kvm|tcg), E2E_TIMEOUT (per boot, s),
E2E_IDLE_TIMEOUT (s without a result line), E2E_SMP (guest vCPUs), E2E_VFNET (a prebuilt static vfnet), E2E_KERNEL_PKG, E2E_MODULES, E2E_CACHE,
E2E_OUT, E2E_APPEND (extra kernel command line), E2E_CMD_TIMEOUT (guest, per
command, s), E2E_TIME_ROUNDS and E2E_MAX_RATIO (scenario 10).
EOF
}

log() { printf 'e2e: %s\n' "$*" >&2; }

# QEMU and the watchdog are stopped however this script ends (GNU timeout
# runs QEMU in a process group of its own, so an interrupt would miss it).
# A run that stops early (a failed build, a failed download) still ends
# with the counts line, counting itself as one failure.
QEMU_PID=
WATCHDOG_PID=
STARTED=
SUMMARY_DONE=
cleanup() {
  local rc=$? p
  for p in $WATCHDOG_PID $QEMU_PID; do
    kill "$p" 2> /dev/null || true
  done
  if [ -n "$STARTED" ] && [ -z "$SUMMARY_DONE" ] && [ "$BASHPID" = $$ ] && [ "$rc" != 0 ]; then
    log "the suite stopped before running the guest (exit $rc)"
    echo "0 passed, 1 failed"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() {
  printf 'e2e: error: %s\n' "$*" >&2
  exit 2
}
now() { echo "$EPOCHREALTIME"; }
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

T_START=$(now)
SELECT=${E2E_SCENARIO:-}
SHELL_MODE=0
LIST_ONLY=0
NO_BUILD=0
while [ $# -gt 0 ]; do
  case "$1" in
    -s | --scenario)
      [ $# -ge 2 ] || die "$1 needs a scenario name"
      SELECT="$SELECT,$2"
      shift
      ;;
    --scenario=*) SELECT="$SELECT,${1#*=}" ;;
    -l | --list) LIST_ONLY=1 ;;
    --shell) SHELL_MODE=1 ;;
    --no-build) NO_BUILD=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
  shift
done

# shellcheck source=lib/host-setup.sh
. "$E2E_DIR/lib/host-setup.sh"
# shellcheck source=lib/debroot.sh
. "$E2E_DIR/lib/debroot.sh"
for f in "$E2E_DIR"/lib/image-*.sh; do
  # shellcheck disable=SC1090
  . "$f"
done

# ------------------------------------------------------------ scenarios

# header FILE KEY: the value of a `# KEY: value` line in a scenario file.
header() { sed -n "s/^# $2: *//p" "$1" | head -n 1; }

ALL=()
for f in "$E2E_DIR"/scenarios/[0-9]*.sh; do
  [ -e "$f" ] || continue
  n=${f##*/}
  ALL+=("${n%.sh}")
done

if [ "$LIST_ONLY" = 1 ]; then
  for n in "${ALL[@]}"; do
    f=$E2E_DIR/scenarios/$n.sh
    flags=" [image $(header "$f" e2e-image | grep . || echo busybox)]"
    [ "$(header "$f" e2e-boot)" = fresh ] && flags+=" [fresh boot]"
    printf '%-28s %s%s\n' "$n" "$(header "$f" e2e-scenario)" "$flags"
  done
  exit 0
fi

# Selected scenarios, in file order.
SELECTED=()
if [ -z "${SELECT//[, ]/}" ]; then
  [ "$SHELL_MODE" = 1 ] || SELECTED=("${ALL[@]}")
else
  IFS=', ' read -r -a pats <<< "$SELECT"
  for p in "${pats[@]}"; do
    [ -n "$p" ] || continue
    hit=0
    for n in "${ALL[@]}"; do
      # shellcheck disable=SC2053  # $p may be a glob on purpose
      if [ "$n" = "$p" ] || [ "${n%%-*}" = "$p" ] || [ "${n#*-}" = "$p" ] || [[ $n == $p ]]; then
        hit=1
        [[ " ${SELECTED[*]:-} " == *" $n "* ]] || SELECTED+=("$n")
      fi
    done
    [ "$hit" = 1 ] || die "no scenario matches '$p' (see tests/e2e/run.sh --list)"
  done
  # keep file order
  ordered=()
  for n in "${ALL[@]}"; do
    [[ " ${SELECTED[*]} " == *" $n "* ]] && ordered+=("$n")
  done
  SELECTED=("${ordered[@]}")
fi

# Boots: consecutive scenarios on the same image share one boot; a scenario
# with `# e2e-boot: fresh` gets a boot of its own.
BOOT_IMAGE=()
BOOT_PLAN=()
prev_image=
prev_fresh=
for n in "${SELECTED[@]}"; do
  f=$E2E_DIR/scenarios/$n.sh
  img=$(header "$f" e2e-image)
  img=${img:-busybox}
  fresh=$(header "$f" e2e-boot)
  if [ ${#BOOT_PLAN[@]} -eq 0 ] || [ "$img" != "$prev_image" ] || [ "$fresh" = fresh ] || [ "$prev_fresh" = fresh ]; then
    BOOT_IMAGE+=("$img")
    BOOT_PLAN+=("$n")
  else
    BOOT_PLAN[-1]+=" $n"
  fi
  prev_image=$img
  prev_fresh=$fresh
done
if [ "$SHELL_MODE" = 1 ] && [ ${#BOOT_PLAN[@]} -eq 0 ]; then
  BOOT_IMAGE=(busybox)
  BOOT_PLAN=("")
fi

# ------------------------------------------------------------ preparation

STARTED=1

mkdir -p "$CACHE" "$OUT"
rm -rf "$BUILD"
rm -f "$OUT"/boot-*.txt "$OUT"/summary.txt
mkdir -p "$BUILD"

ensure_host_tools
if [ "$NO_BUILD" = 1 ] && [ -z "${E2E_VFNET:-}" ]; then
  E2E_VFNET=$REPO/target/$MUSL_TARGET/release/vfnet
fi
build_vfnet
fetch_busybox
fetch_kernel
gcc -static -Os -s -o "$BUILD/e2e-helper" "$E2E_DIR/guest/e2e-helper.c"

# cpio_dir DIR: DIR as a newc archive on stdout (busybox cpio: the host
# needs no cpio package).
cpio_dir() {
  (cd "$1" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2> /dev/null)
}

if [ "$ACCEL" = auto ]; then
  # KVM only with real hardware virtualisation: on some hosts /dev/kvm exists
  # but cannot run a stock kernel (emulation failure, then QEMU hangs).
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
    ACCEL=kvm
  else
    ACCEL=tcg
  fi
fi
# shellcheck disable=SC2054  # the commas belong to QEMU options
case "$ACCEL" in
  kvm) ACCEL_ARGS=(-accel kvm -cpu host) ;;
  tcg) ACCEL_ARGS=(-accel tcg,thread=multi -cpu max) ;;
  *) die "E2E_ACCEL must be auto, kvm or tcg" ;;
esac
log "$(qemu-system-x86_64 --version | head -n 1), accel=$ACCEL, kernel $KVER, busybox $BUSYBOX_VERSION"
log "vfnet: $VFNET_BIN ($(stat -c %s "$VFNET_BIN") bytes)"

# ------------------------------------------------------------ booting

# live_report: turns the guest's result lines into the progress shown on
# stdout while the guest runs.
live_report() {
  local line
  while IFS= read -r line; do
    line=${line%$'\r'}
    case "$line" in
      "E2E: PASS "*) printf '  PASS  %s\n' "${line#E2E: PASS }" ;;
      "E2E: FAIL "*) printf '  FAIL  %s\n' "${line#E2E: FAIL }" ;;
      "E2E:| "*) printf '        | %s\n' "${line#E2E:| }" ;;
      "E2E: BEGIN "*) printf -- '-- %s\n' "${line#E2E: BEGIN }" ;;
      "E2E: TIME "*) printf '  TIME  %s\n' "${line#E2E: TIME }" ;;
      "E2E: NOTE "*) printf '  NOTE  %s\n' "${line#E2E: NOTE }" ;;
      "E2E: INFO "*) printf '  INFO  %s\n' "${line#E2E: INFO }" ;;
      "E2E: BOOT "*) log "guest: ${line#E2E: BOOT }" ;;
      "E2E: DONE"*) log "guest: all scenarios done (${line#E2E: DONE })" ;;
    esac
  done
}

# watchdog PID FILE MARK: stops PID (timeout, which passes the signal on to
# QEMU) once FILE has not changed for IDLE_TIMEOUT seconds; touches MARK.
watchdog() {
  local age
  while kill -0 "$1" 2> /dev/null; do
    sleep 5
    age=$(($(date +%s) - $(stat -c %Y "$2")))
    if [ "$age" -ge "$IDLE_TIMEOUT" ]; then
      : > "$3"
      kill "$1" 2> /dev/null
      return
    fi
  done
}

PASSED=0
FAILED=0
LAST_IMAGE=
TIMES=()
NOTES=()
KEEP=()

# boot I IMAGE "SCENARIOS": one QEMU run of the scenarios, then the counts.
boot() {
  local i=$1 image=$2 plan=$3 n
  local console=$OUT/boot-$i.console.txt results=$OUT/boot-$i.results.txt qlog=$OUT/boot-$i.qemu.txt
  local filesout=$OUT/boot-$i.files.txt
  local stuck=$BUILD/stuck-$i
  local initrd=$BUILD/boot-$i.initrd pdir=$BUILD/plan-$i
  declare -F "image_${image//-/_}" > /dev/null || die "no image '$image' (tests/e2e/lib/image-$image.sh)"
  # consecutive boots of one image reuse it
  if [ "$image" != "$LAST_IMAGE" ]; then
    local ti
    ti=$(now)
    IMAGE_CMDLINE_PLAN=
    "image_${image//-/_}"
    log "image $image ready in $(secs_since "$ti")s"
    LAST_IMAGE=$image
  fi

  # The plan for this boot goes into a second cpio appended to the image.
  mkdir -p "$pdir/e2e"
  : > "$pdir/e2e/plan"
  for n in $plan; do echo "$n" >> "$pdir/e2e/plan"; done
  : > "$pdir/e2e/env"
  for v in $GUEST_VARS; do
    [ -z "${!v:-}" ] || printf "%s='%s'\n" "$v" "${!v}" >> "$pdir/e2e/env"
  done
  cat "$IMAGE_INITRD" > "$initrd"
  cpio_dir "$pdir" >> "$initrd"

  # log_buf_len: steps find their kernel messages by line number in dmesg,
  # so the log must never wrap (the default 128 KiB nearly does)
  local append="console=ttyS0 intel_iommu=on iommu=pt panic=-1 log_buf_len=4M $IMAGE_APPEND ${E2E_APPEND:-}"
  [ "$SHELL_MODE" = 0 ] || append+=" e2e.shell"
  # Images that boot into a real root (where the initramfs with /e2e/plan is
  # gone) take the plan and the guest variables from the command line.
  if [ -n "${IMAGE_CMDLINE_PLAN:-}" ]; then
    local pl
    pl=${plan// /,}
    append+=" e2e.plan=$pl"
    for v in $GUEST_VARS; do
      [ -z "${!v:-}" ] || append+=" e2e.env.$v=${!v}"
    done
  fi
  # shellcheck disable=SC2054  # the commas belong to QEMU options
  local qemu=(qemu-system-x86_64
    -machine q35,kernel-irqchip=split "${ACCEL_ARGS[@]}" -smp "$SMP" -m 512
    -device intel-iommu,intremap=on,caching-mode=on
    -display none -no-reboot -nodefaults -monitor none
    -kernel "$IMAGE_KERNEL" -initrd "$initrd" -append "$append"
    -device pcie-root-port,id=rp0,chassis=1,slot=1
    -device igb,bus=rp0,mac=52:54:00:12:34:56
    "${IMAGE_QEMU[@]}")
  # ttyS0 = console (the transcript), ttyS1 = results (E2E: lines only),
  # ttyS2 = files the guest sends (export_file: captures for the host to replay).
  : > "$results"
  : > "$filesout"
  qemu+=(-chardev "file,id=res,path=$results,append=on")
  qemu+=(-chardev "file,id=files,path=$filesout,append=on")
  log "boot $i: ${plan:-(no scenarios)}"
  local t0 qrc=0
  t0=$(now)
  if [ "$SHELL_MODE" = 1 ]; then
    "${qemu[@]}" -serial stdio -serial chardev:res -serial chardev:files || qrc=$?
  else
    qemu+=(-chardev "file,id=con,path=$console" -serial chardev:con -serial chardev:res -serial chardev:files)
    timeout -k 10 "$TIMEOUT" "${qemu[@]}" < /dev/null 2> "$qlog" &
    QEMU_PID=$!
    watchdog "$QEMU_PID" "$results" "$stuck" &
    WATCHDOG_PID=$!
    tail -n +1 -f --pid="$QEMU_PID" "$results" | live_report
    wait "$QEMU_PID" || qrc=$?
    kill "$WATCHDOG_PID" 2> /dev/null || true
    wait "$WATCHDOG_PID" 2> /dev/null || true
    QEMU_PID=
    WATCHDOG_PID=
  fi
  log "boot $i: QEMU exit $qrc after $(secs_since "$t0")s"
  # QEMU's own messages, but not the expected "nic igb.0 has no peer"
  # (there is deliberately no network backend)
  if [ -s "$qlog" ]; then
    grep -v 'has no peer' "$qlog" | sed 's/^/e2e: qemu: /' >&2 || true
  fi

  # Count from the whole results file; a scenario without END did not
  # finish (the guest hung, crashed or ran out of time): that is a failure.
  local clean=$BUILD/results-$i.txt p f bad=0
  tr -d '\r' < "$results" > "$clean"
  p=$(grep -c '^E2E: PASS ' "$clean" || true)
  f=$(grep -c '^E2E: FAIL ' "$clean" || true)
  for n in $plan; do
    if ! grep -q "^E2E: BEGIN $n\$" "$clean"; then
      printf '  FAIL  %s: never started\n' "$n"
      f=$((f + 1))
    elif ! grep -q "^E2E: END $n " "$clean"; then
      printf '  FAIL  %s: did not finish (no END line: the guest hung, crashed or was stopped)\n' "$n"
      f=$((f + 1))
    elif ! grep -qE "^E2E: (PASS|FAIL) $n: " "$clean"; then
      printf '  FAIL  %s: reported no steps\n' "$n"
      f=$((f + 1))
    fi
  done
  if [ -f "$stuck" ]; then
    log "boot $i: no result line for ${IDLE_TIMEOUT}s: the guest is stuck, QEMU was stopped (E2E_IDLE_TIMEOUT)"
    bad=1
  elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    log "boot $i: QEMU was killed after the ${TIMEOUT}s timeout (E2E_TIMEOUT)"
    bad=1
  fi
  if [ -n "$plan" ] && ! grep -q '^E2E: DONE' "$clean"; then
    log "boot $i: the guest never reported DONE"
    bad=1
  fi
  if [ "$bad" = 1 ] && [ "$f" = 0 ]; then
    f=1
  fi
  # The files the guest sent, and the host's replay of its captures.
  extract_files "$filesout" "$OUT/files/boot-$i"
  replay_captures "$OUT/files/boot-$i"
  p=$((p + REPLAY_PASS))
  f=$((f + REPLAY_FAIL))
  parse_metrics "$OUT/files/boot-$i"
  p=$((p + METRICS_PASS))
  f=$((f + METRICS_FAIL))
  while IFS= read -r n; do TIMES+=("$n"); done < <(sed -n 's/^E2E: TIME //p' "$clean")
  while IFS= read -r n; do NOTES+=("$n"); done < <(sed -n 's/^E2E: NOTE //p' "$clean")
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  if [ "$f" != 0 ] || [ "$bad" = 1 ]; then
    KEEP+=("$console" "$results" "$qlog")
  fi
}

# extract_files RAW DIR: the files between E2E-FILE-BEGIN/END lines of RAW,
# base64-decoded into DIR/NAME (names are plain: letters, digits, . _ -).
extract_files() {
  local raw=$1 dir=$2 name=
  [ -s "$raw" ] || return 0
  mkdir -p "$dir"
  while IFS= read -r line; do
    line=${line%$'\r'}
    case "$line" in
      "E2E-FILE-BEGIN "*)
        name=${line#E2E-FILE-BEGIN }
        case "$name" in *[!A-Za-z0-9._-]* | "") name= ;; esac
        [ -z "$name" ] || : > "$dir/$name.b64"
        ;;
      "E2E-FILE-END "*)
        if [ -n "$name" ]; then
          base64 -d < "$dir/$name.b64" > "$dir/$name" && rm -f "$dir/$name.b64"
        fi
        name=
        ;;
      *) [ -z "$name" ] || printf '%s\n' "$line" >> "$dir/$name.b64" ;;
    esac
  done < "$raw"
}

# replay_captures DIR: for each STATE.tar the guest sent (vfnet capture) with
# the listings it printed live (STATE.json, STATE.all.json, STATE.txt), the
# host unpacks the capture and runs vfnet --root on it: every listing must be
# identical. Sets REPLAY_PASS and REPLAY_FAIL; TIMES gets the count and time.
replay_captures() {
  local dir=$1 tarf state t0 n=0 unpack want got kind args
  REPLAY_PASS=0
  REPLAY_FAIL=0
  t0=$(now)
  for tarf in "$dir"/*.tar; do
    [ -e "$tarf" ] || continue
    state=${tarf##*/}
    state=${state%.tar}
    unpack=$BUILD/replay-$state
    rm -rf "$unpack"
    mkdir -p "$unpack"
    if ! tar -xf "$tarf" -C "$unpack"; then
      printf '  FAIL  replay %s: the capture does not unpack\n' "$state"
      REPLAY_FAIL=$((REPLAY_FAIL + 1))
      continue
    fi
    for kind in json all.json txt; do
      want=$dir/$state.$kind
      [ -e "$want" ] || continue
      case $kind in
        json) args=(list --json) ;;
        all.json) args=(list --all --json) ;;
        txt) args=(list) ;;
      esac
      got=$(COLUMNS=250 "$VFNET_BIN" --root "$unpack" "${args[@]}" 2>&1) || true
      n=$((n + 1))
      if [ "$got" = "$(cat "$want")" ]; then
        printf '  PASS  replay %s: vfnet --root on the capture, %s, is what the guest listed live\n' "$state" "${args[*]}"
        REPLAY_PASS=$((REPLAY_PASS + 1))
      else
        printf '  FAIL  replay %s: vfnet --root on the capture, %s, differs from the live listing\n' "$state" "${args[*]}"
        diff <(cat "$want") <(printf '%s\n' "$got") | head -n 20 | sed 's/^/        | /'
        REPLAY_FAIL=$((REPLAY_FAIL + 1))
      fi
    done
  done
  [ "$n" = 0 ] || TIMES+=("replay comparisons=$n host_seconds=$(secs_since "$t0")")
}

# parse_metrics DIR: each DIR/*.prom (vfnet metrics on the real igb)
# read by Prometheus's own text parser (prometheus_client, pip-installed
# into target/prom-venv as tests/metrics.rs does): every family parses,
# and the PF and VF series are there.
parse_metrics() {
  local dir=$1 f py=$REPO/target/prom-venv/bin/python3 got
  METRICS_PASS=0
  METRICS_FAIL=0
  compgen -G "$dir/*.prom" > /dev/null || return 0
  if ! "$py" -c 'import prometheus_client' 2> /dev/null; then
    python3 -m venv "$REPO/target/prom-venv" &&
      "$REPO/target/prom-venv/bin/pip" install -q --disable-pip-version-check prometheus_client==0.21.1 ||
      { printf '  FAIL  metrics: cannot install prometheus_client (PyPI)\n'; METRICS_FAIL=1; return 0; }
  fi
  for f in "$dir"/*.prom; do
    if got=$("$py" - "$f" 2>&1 <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
need = ["vfnet_pf_vfs", "vfnet_vf_info", "vfnet_vf_in_use", "vfnet_vf_settings_info", "vfnet_vf_tx_packets", "vfnet_scrape_duration_seconds"]
missing = [n for n in need if n not in fams or not fams[n].samples]
if missing:
    sys.exit("no samples of " + ", ".join(missing))
assert fams["vfnet_vf_tx_packets"].type == "counter"
vf = [s.labels for s in fams["vfnet_vf_info"].samples]
assert all(set(l) == {"pf", "vf", "pci", "interface", "driver", "used_by"} for l in vf), vf
print("%d families, %d samples" % (len(fams), sum(len(f.samples) for f in fams.values())))
PY
    ); then
      printf '  PASS  metrics %s: Prometheus'"'"'s parser reads it: %s\n' "${f##*/}" "$got"
      METRICS_PASS=$((METRICS_PASS + 1))
    else
      printf '  FAIL  metrics %s: %s\n' "${f##*/}" "$got"
      METRICS_FAIL=$((METRICS_FAIL + 1))
    fi
  done
}

rm -rf "$OUT/files"
for i in "${!BOOT_PLAN[@]}"; do
  boot "$((i + 1))" "${BOOT_IMAGE[$i]}" "${BOOT_PLAN[$i]}"
done

# ------------------------------------------------------------ summary

{
  log "wall time of the suite: $(secs_since "$T_START")s (accel=$ACCEL, ${#BOOT_PLAN[@]} boot(s), ${#SELECTED[@]} scenario(s))"
  for t in "${TIMES[@]}"; do log "time: $t"; done
  for t in "${NOTES[@]}"; do log "note: $t"; done
  if [ ${#KEEP[@]} -gt 0 ]; then
    log "guest transcript kept (console, results, QEMU's stderr):"
    for k in "${KEEP[@]}"; do log "  $k"; done
  else
    log "transcripts: $OUT/boot-*.console.txt"
  fi
} 2>&1 | tee "$OUT/summary.txt" >&2
SUMMARY_DONE=1
echo "$PASSED passed, $FAILED failed" | tee -a "$OUT/summary.txt"
# No result at all is a failure too (unless --shell was asked to run nothing).
[ "$FAILED" = 0 ] && { [ "$PASSED" -gt 0 ] || [ ${#SELECTED[@]} -eq 0 ]; }
