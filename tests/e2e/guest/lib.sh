# lib.sh: the e2e assertion library (busybox ash), sourced by every scenario.
#
# A scenario is a list of steps.  A step is a name followed by commands and
# checks; it passes when none of its checks failed:
#
#   step "set by PCI address makes 3 VFs"
#   run vfnet set "$PF_PCI" 3          # keeps stdout, stderr and exit status
#   expect_rc 0
#   expect_out "0000:01:10.4"
#   check "3 VFs ready" vfs_ready 3
#
# The next `step` (or the end of the scenario) reports the step on the
# results channel as one line the host parses:
#
#   E2E: PASS <scenario>: <step>
#   E2E: FAIL <scenario>: <step>
#   E2E:| <details: failed checks, every command of the step with its
#   E2E:| output and exit status, and the kernel log lines of the step>
#
# Other result lines: `E2E: BEGIN/END <scenario>`, `E2E: TIME <key> k=v...`,
# `E2E: NOTE <key>: ...`, `E2E: INFO ...`.  Everything also goes to the console (the transcript).
#
# State between calls lives in $E2E_TMP: last.out, last.err (of the last
# `run`), step.log, step.fail.  $RC holds the last exit status.

E2E_TMP=${E2E_TMP:-/tmp/e2e}
E2E_RES=${E2E_RES:-/dev/ttyS1}
# Every command run by `run` is killed after this many seconds (vfnet must
# never hang; the host has its own, larger, timeout for the whole boot).
E2E_CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-90}
E2E_SCENARIO=${E2E_SCENARIO:-unknown}
E2E_STEP=
RC=
mkdir -p "$E2E_TMP"
[ -w "$E2E_RES" ] || E2E_RES=/dev/null

# Wide enough that vfnet never drops a table column.
export COLUMNS=250

# ---------------------------------------------------------------- output

# res LINE: a result line, on the results channel and the console.
res() {
  printf '%s\n' "$*" >> "$E2E_RES"
  printf '%s\n' "$*"
}

# res_detail < TEXT: detail lines under the last result line.
res_detail() {
  sed 's/^/E2E:| /' > "$E2E_TMP/detail"
  cat "$E2E_TMP/detail" >> "$E2E_RES"
  cat "$E2E_TMP/detail"
}

# info TEXT: an informational result line (shown by the host, not counted).
info() { res "E2E: INFO $E2E_SCENARIO: $*"; }

# report_time KEY k=v...: a timing line the host repeats in its summary.
report_time() { res "E2E: TIME $*"; }

# report_note KEY TEXT: a finding the host repeats in its summary, like a
# TIME line (e.g. which VF settings the driver accepted).
report_note() {
  local key="$1"
  shift
  res "E2E: NOTE $key: $*"
}

# export_file NAME FILE: sends FILE to the host (a third serial port, the
# host's out/files/NAME), base64 between BEGIN and END lines.
E2E_FILES=${E2E_FILES:-/dev/ttyS2}
export_file() {
  [ -w "$E2E_FILES" ] || return 1
  {
    printf 'E2E-FILE-BEGIN %s\n' "$1"
    base64 < "$2"
    printf 'E2E-FILE-END %s\n' "$1"
  } >> "$E2E_FILES"
}

# known_bug TEXT: a vfnet bug this suite found, now fixed: a step that
# sees the old behaviour again fails, saying which bug came back.
known_bug() { fail "vfnet bug came back: $*"; }

# now: monotonic seconds, microsecond resolution.
now() { e2e-helper now; }

# elapsed T0 [T1]: seconds between two `now` values, 3 decimals.
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f\n", b - a }'; }

# ---------------------------------------------------------------- steps

# step NAME: closes the current step (reporting it) and opens a new one.
step() {
  step_close
  E2E_STEP="$*"
  : > "$E2E_TMP/step.log"
  : > "$E2E_TMP/step.fail"
  E2E_DMESG_MARK=$(dmesg | wc -l)
  E2E_STEP_T0=$(now)
  echo "==== [$E2E_SCENARIO] step: $E2E_STEP"
}

# step_close: reports the current step, if any.  Called by `step` and by
# the runner at the end of the scenario.
step_close() {
  [ -n "$E2E_STEP" ] || return 0
  local took
  took=$(elapsed "$E2E_STEP_T0")
  if [ -s "$E2E_TMP/step.fail" ]; then
    res "E2E: FAIL $E2E_SCENARIO: $E2E_STEP"
    {
      cat "$E2E_TMP/step.fail"
      echo "-- commands of this step (${took}s):"
      cat "$E2E_TMP/step.log"
      echo "-- kernel log during this step (last 30 lines):"
      dmesg_new | tail -n 30
    } | res_detail
  else
    res "E2E: PASS $E2E_SCENARIO: $E2E_STEP"
    echo "     (${took}s)"
  fi
  E2E_STEP=
}

# fail MESSAGE: marks the current step failed.  Outside a step it opens a
# step named after the message, so the failure is still reported.
fail() {
  [ -n "$E2E_STEP" ] || step "$*"
  echo "FAILED: $*" >> "$E2E_TMP/step.fail"
  echo "     FAILED: $*"
}

# dmesg_new: the kernel log lines printed since the step began.
dmesg_new() { dmesg | tail -n +"$((E2E_DMESG_MARK + 1))"; }

# dmesg_count TEXT: how many kernel log lines of this step contain TEXT.
dmesg_count() { dmesg_new | grep -cF -- "$1"; }

# dmesg_has TEXT / dmesg_lacks TEXT: some / no kernel log line of this
# step contains TEXT.
dmesg_has() { dmesg_new | grep -qF -- "$1"; }
dmesg_lacks() { ! dmesg_has "$1"; }

# dmesg_order A B: in this step, the kernel logged A and, after it, B.
dmesg_order() {
  dmesg_new | awk -v a="$1" -v b="$2" '
    index($0, a) && !sa { sa = NR }
    index($0, b) { sb = NR }
    END { exit !(sa && sb > sa) }'
}

# klog_time TEXT: the kernel timestamp (seconds since the kernel started) of
# the first line of the whole kernel log containing TEXT; nothing if none.
klog_time() {
  dmesg | awk -v t="$1" 'index($0, t) { s = $0; sub(/^\[ */, "", s); sub(/\].*/, "", s); print s; exit }'
}

# klog_last_time TEXT: the same for the last such line.
klog_last_time() {
  dmesg | awk -v t="$1" 'index($0, t) { s = $0; sub(/^\[ */, "", s); sub(/\].*/, "", s); l = s } END { if (l != "") print l }'
}

# uptime_now: seconds since the kernel started (/proc/uptime).
uptime_now() { cut -d' ' -f1 /proc/uptime; }

# ---------------------------------------------------------------- commands

# run CMD [ARGS...]: runs CMD under a timeout and sets RC; stdout and
# stderr are in $E2E_TMP/last.out and last.err (see out/err below).  CMD may
# be a shell function (then without the timeout: put `timeout` around the
# programs it runs) or a program (use `run sh -c '...'` for pipelines).
run() {
  printf '$ %s\n' "$*" | tee -a "$E2E_TMP/step.log"
  local t0
  t0=$(now)
  case "$(type "$1" 2> /dev/null)" in
    *function*) "$@" > "$E2E_TMP/last.out" 2> "$E2E_TMP/last.err" ;;
    *) timeout "$E2E_CMD_TIMEOUT" "$@" > "$E2E_TMP/last.out" 2> "$E2E_TMP/last.err" ;;
  esac
  RC=$?
  rm -f "$E2E_TMP/last.json"
  {
    sed 's/^/  out| /' "$E2E_TMP/last.out"
    sed 's/^/  err| /' "$E2E_TMP/last.err"
    if [ "$RC" = 143 ] || [ "$RC" = 137 ]; then
      echo "  => exit $RC: KILLED after the ${E2E_CMD_TIMEOUT}s command timeout"
    else
      echo "  => exit $RC ($(elapsed "$t0")s)"
    fi
  } | tee -a "$E2E_TMP/step.log"
}

# out / err: the last command's stdout / stderr.
out() { cat "$E2E_TMP/last.out"; }
err() { cat "$E2E_TMP/last.err"; }

# note TEXT: adds a line to the step's log (shown when the step fails).
note() { printf '%s\n' "$*" | tee -a "$E2E_TMP/step.log"; }

# ---------------------------------------------------------------- checks

# expect_rc N: the last command exited with status N.
expect_rc() {
  [ "$RC" = "$1" ] || fail "exit status $RC, expected $1"
}

# expect_out TEXT / expect_err TEXT: stdout / stderr contains TEXT (fixed
# string, case-sensitive).  expect_no_out / expect_no_err: does not.
expect_out()    { grep -qF -- "$1" "$E2E_TMP/last.out" || fail "stdout does not contain '$1'"; }
expect_no_out() { ! grep -qF -- "$1" "$E2E_TMP/last.out" || fail "stdout contains '$1'"; }
expect_err()    { grep -qF -- "$1" "$E2E_TMP/last.err" || fail "stderr does not contain '$1'"; }
expect_no_err() { ! grep -qF -- "$1" "$E2E_TMP/last.err" || fail "stderr contains '$1'"; }

# expect_out_re ERE / expect_err_re ERE: case-insensitive extended regex
# (for messages whose exact wording is vfnet's to choose).
expect_out_re() { grep -qiE -- "$1" "$E2E_TMP/last.out" || fail "stdout does not match /$1/i"; }
expect_err_re() { grep -qiE -- "$1" "$E2E_TMP/last.err" || fail "stderr does not match /$1/i"; }

# expect_out_empty / expect_err_empty.
expect_out_empty() { [ ! -s "$E2E_TMP/last.out" ] || fail "stdout is not empty"; }
expect_err_empty() { [ ! -s "$E2E_TMP/last.err" ] || fail "stderr is not empty"; }

# expect_err_lines N: stderr has exactly N lines ("one clear line").
expect_err_lines() {
  local n
  n=$(wc -l < "$E2E_TMP/last.err")
  [ "$n" = "$1" ] || fail "stderr has $n lines, expected $1"
}

# expect_table_row FIELD...: some stdout line contains all the given fields
# as whitespace-separated words (a row of a table, in any column order).
expect_table_row() {
  local spec="$*"
  awk -v spec="$spec" '
    BEGIN { n = split(spec, want, " ") }
    { delete have; for (i = 1; i <= NF; i++) have[$i] = 1
      ok = 1; for (j = 1; j <= n; j++) if (!(want[j] in have)) ok = 0
      if (ok) { found = 1; exit } }
    END { exit !found }' "$E2E_TMP/last.out" || fail "no table row has all of: $spec"
}

# check DESCRIPTION CMD [ARGS...]: CMD (a function or a program) succeeds.
check() {
  local what="$1"
  shift
  "$@" >> "$E2E_TMP/step.log" 2>&1 || fail "$what"
}

# expect_eq DESCRIPTION GOT WANT: two values are equal.
expect_eq() {
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# ---------------------------------------------------------------- JSON

# json_flat: the last stdout flattened by json.awk (PATH=VALUE lines; strings
# keep their quotes).  Fails the step when stdout is not valid JSON.
json_flat() {
  if [ ! -f "$E2E_TMP/last.json" ]; then
    if ! awk -f /e2e/json.awk "$E2E_TMP/last.out" > "$E2E_TMP/last.json" 2> "$E2E_TMP/json.err"; then
      fail "stdout is not valid JSON: $(cat "$E2E_TMP/json.err")"
    fi
  fi
  cat "$E2E_TMP/last.json"
}

# json_get PATH: the value at PATH in the last stdout (e.g. pfs.0.total_vfs,
# vfs.2.interface, vfs.length).  Strings come with their quotes.  Prints
# nothing and returns 1 when PATH is absent.
json_get() {
  json_flat | awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); f = 1; exit } END { exit !f }'
}

# expect_json PATH VALUE: e.g. expect_json pfs.0.total_vfs 7,
# expect_json pfs.0.driver '"igb"', expect_json vfs.0.interface null.
expect_json() {
  local got
  if ! got=$(json_get "$1"); then
    fail "JSON has no $1 (wanted $2)"
  elif [ "$got" != "$2" ]; then
    fail "JSON $1 is $got, expected $2"
  fi
}

# expect_json_re PATH ERE: the value at PATH matches an extended regex.
expect_json_re() {
  local got
  if ! got=$(json_get "$1"); then
    fail "JSON has no $1 (wanted /$2/)"
  elif ! printf '%s\n' "$got" | grep -qE -- "$2"; then
    fail "JSON $1 is $got, expected /$2/"
  fi
}

# ---------------------------------------------------------------- sysfs

# The PF: the QEMU igb (8086:10c9) found by its sysfs attributes, so the
# scenarios do not hard-code the topology.
pf_find() {
  local d
  for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor" 2>/dev/null)" = 0x8086 ] && [ "$(cat "$d/device" 2>/dev/null)" = 0x10c9 ]; then
      PF_PCI=${d##*/}
      PF_DIR=/sys/bus/pci/devices/$PF_PCI
      return 0
    fi
  done
  return 1
}
pf_find || { PF_PCI=none; PF_DIR=/nonexistent; }

# pf_if: the PF's netdev name (empty while no driver is bound).
pf_if() { ls "$PF_DIR/net" 2>/dev/null | head -n 1; }

# numvfs / totalvfs: the kernel's view.
numvfs() { cat "$PF_DIR/sriov_numvfs"; }
totalvfs() { cat "$PF_DIR/sriov_totalvfs"; }

# vf_dir I: the sysfs directory of VF I.
vf_dir() { echo "/sys/bus/pci/devices/$(readlink "$PF_DIR/virtfn$1" | sed 's|.*/||')"; }

# vf_pci I: VF I's PCI address.
vf_pci() { readlink "$PF_DIR/virtfn$1" | sed 's|.*/||'; }

# vf_if I: VF I's netdev name, empty when it has none.
vf_if() { ls "$(vf_dir "$1")/net" 2>/dev/null | head -n 1; }

# vf_driver I: the driver bound to VF I, empty when none.
vf_driver() { local l; l=$(readlink "$(vf_dir "$1")/driver" 2>/dev/null) && echo "${l##*/}"; }

# group_of DIR: the IOMMU group number of a PCI device directory.
group_of() { local l; l=$(readlink "$1/iommu_group" 2>/dev/null) && echo "${l##*/}"; }

# vfs_ready N [net]: the PF has exactly N VFs, each with an IOMMU group and,
# unless the second argument is "nonet", a driver and a netdev.  Prints what
# is missing.
vfs_ready() {
  local n="$1" mode="${2:-net}" i=0 d
  [ "$(numvfs)" = "$n" ] || { echo "sriov_numvfs is $(numvfs), not $n"; return 1; }
  [ "$(ls -d "$PF_DIR"/virtfn* 2>/dev/null | wc -l)" = "$n" ] || { echo "virtfn links: $(ls -d "$PF_DIR"/virtfn* 2>/dev/null | wc -l), not $n"; return 1; }
  while [ "$i" -lt "$n" ]; do
    d=$(vf_dir "$i")
    [ -e "$d/iommu_group" ] || { echo "VF $i ($d) has no IOMMU group"; return 1; }
    if [ "$mode" = net ]; then
      [ -n "$(vf_if "$i")" ] || { echo "VF $i ($d) has no netdev"; return 1; }
    fi
    i=$((i + 1))
  done
}

# vfs_snapshot: one line per VF: index, PCI address, driver, netdev and its
# ifindex.  Equal snapshots mean the VFs were not re-created.
vfs_snapshot() {
  local n i=0 ifn
  n=$(numvfs)
  echo "numvfs=$n"
  while [ "$i" -lt "$n" ]; do
    ifn=$(vf_if "$i")
    echo "vf$i $(vf_pci "$i") drv=$(vf_driver "$i") if=$ifn ifindex=$(cat "/sys/class/net/$ifn/ifindex" 2>/dev/null)"
    i=$((i + 1))
  done
}

# wait_until SECS CMD [ARGS...]: polls CMD every 50 ms until it succeeds;
# returns 1 (printing CMD's last output) after SECS seconds.
wait_until() {
  local secs="$1" t0 o
  shift
  t0=$(now)
  while ! o=$("$@" 2>&1); do
    if awk -v a="$t0" -v b="$(now)" -v s="$secs" 'BEGIN { exit !(b - a > s) }'; then
      echo "timed out after ${secs}s waiting for: $* ($o)"
      return 1
    fi
    sleep 0.05
  done
}

# sysfs_write FILE VALUE: a raw write that reports the errno.
sysfs_write() { e2e-helper write "$1" "$2"; }

# ---------------------------------------------------------------- iproute2
# The iproute2 image (lib/image-iproute2.sh) has iproute2's ip at
# /usr/sbin/ip.  busybox's ash runs its own `ip` applet for a bare `ip`
# (applets win over PATH), so it is called by its path.

IPROUTE2=/usr/sbin/ip

# vfs_awk FROM: reads json.awk's PATH=VALUE lines of `ip -d -j link show
# PF` (FROM=ip: its vfinfo_list, which iproute2 decodes from the kernel's
# IFLA_VFINFO_LIST) or of `vfnet list --json` (FROM=vfnet: each VF's
# "settings") and prints one line per VF in one format, so the two can be
# compared as text:
#   vf=0 mac=02:11:22:33:44:55 vlan=100 qos=0 spoofchk=off trust=on state=auto rate=0,0
# No admin MAC is 00:00:00:00:00:00 on both sides (vfnet says null); a
# setting the driver does not report is "?"; no VLAN is 0 (ip omits it).
vfs_awk() {
  awk -v from="$1" '
    function unq(v) { gsub(/^"|"$/, "", v); return v }
    function onoff(v) { return v == "true" ? "on" : v == "false" ? "off" : "?" }
    {
      eq = index($0, "="); k = substr($0, 1, eq - 1); v = unq(substr($0, eq + 1))
      if (from == "ip") {
        if (!match(k, /^\.0\.vfinfo_list\.[0-9]+\./)) next
        pre = substr(k, 1, RLENGTH); f = substr(k, RLENGTH + 1)
        split(pre, p, "."); n = p[4]
        if (f == "vf") vf[n] = v
        else if (f == "address") mac[n] = v
        else if (f == "vlan_list.0.vlan") vlan[n] = v
        else if (f == "vlan_list.0.qos") qos[n] = v
        else if (f == "spoofchk") sc[n] = onoff(v)
        else if (f == "trust") tr[n] = onoff(v)
        else if (f == "link_state") st[n] = v
        else if (f == "rate.min_tx") mn[n] = v
        else if (f == "rate.max_tx") mx[n] = v
        else next
      } else {
        if (!match(k, /^vfs\.[0-9]+\./)) next
        pre = substr(k, 1, RLENGTH); f = substr(k, RLENGTH + 1)
        split(pre, p, "."); n = p[2]
        if (f == "index") vf[n] = v
        else if (f == "settings.mac") mac[n] = (v == "null" ? "00:00:00:00:00:00" : v)
        else if (f == "settings.vlan") vlan[n] = v
        else if (f == "settings.qos") qos[n] = v
        else if (f == "settings.spoofchk") sc[n] = onoff(v)
        else if (f == "settings.trust") tr[n] = onoff(v)
        else if (f == "settings.state") st[n] = (v == "null" ? "?" : v)
        else if (f == "settings.rate.min") mn[n] = (v == "null" ? "?" : v)
        else if (f == "settings.rate.max") mx[n] = (v == "null" ? "?" : v)
        else next
      }
      if (n + 0 >= count) count = n + 1
    }
    function d(v, dflt) { return v == "" ? dflt : v }
    END {
      for (i = 0; i < count; i++)
        printf "vf=%s mac=%s vlan=%s qos=%s spoofchk=%s trust=%s state=%s rate=%s,%s\n", d(vf[i], "?"),
          d(mac[i], "?"), d(vlan[i], from == "ip" ? 0 : "?"), d(qos[i], from == "ip" ? 0 : "?"),
          d(sc[i], "?"), d(tr[i], "?"), d(st[i], "?"), d(mn[i], "?"), d(mx[i], "?")
    }' | sort -t= -k2 -n
}

# ip_vfs PFIF: the VFs of PFIF as iproute2 reads them (vfs_awk's format).
ip_vfs() {
  "$IPROUTE2" -d -j link show dev "$1" > "$E2E_TMP/ip.json" 2>&1 || { cat "$E2E_TMP/ip.json"; return 1; }
  awk -f /e2e/json.awk "$E2E_TMP/ip.json" | vfs_awk ip
}

# vfnet_vfs: the VFs' settings as `vfnet list --json` reports them.
vfnet_vfs() {
  vfnet list --json > "$E2E_TMP/vfnet.json" 2>&1 || { cat "$E2E_TMP/vfnet.json"; return 1; }
  awk -f /e2e/json.awk "$E2E_TMP/vfnet.json" | vfs_awk vfnet
}

# ip_vf PFIF I FIELD: one field (mac, vlan, qos, spoofchk, trust, state,
# rate) of VF I as iproute2 reads it.
ip_vf() {
  ip_vfs "$1" | awk -v i="$2" -v f="$3" '
    { delete a; for (j = 1; j <= NF; j++) { e = index($j, "="); a[substr($j, 1, e - 1)] = substr($j, e + 1) } }
    a["vf"] == i { print a[f]; found = 1 }
    END { exit !found }'
}

# expect_ip_matches_vfnet PFIF: vfnet list --json's settings of every VF
# are what iproute2 reads from the kernel.
expect_ip_matches_vfnet() {
  local a b
  a=$(ip_vfs "$1")
  b=$(vfnet_vfs)
  note "ip (iproute2):"
  note "$a"
  note "vfnet list --json:"
  note "$b"
  [ -n "$a" ] || fail "ip shows no VFs on $1"
  [ "$a" = "$b" ] || fail "vfnet list --json's VF settings differ from iproute2's reading of the kernel"
}

# auto_mac PFMAC N: the stable MAC of VF N of a PF whose permanent MAC is
# PFMAC, computed here from the README's formula (not by vfnet):
# (p0^p1^p2)&0xfc|0x02 : p3 : p4 : p5 : N>>8 : N&0xff.
auto_mac() {
  local IFS=:
  # shellcheck disable=SC2086  # split on the colons
  set -- $1 "$2"
  printf '%02x:%s:%s:%s:%02x:%02x\n' $(((0x$1 ^ 0x$2 ^ 0x$3) & 0xfc | 0x02)) "$4" "$5" "$6" $(($7 >> 8)) $(($7 & 255))
}

# netdev_mac I: the address of VF I's own netdev (sysfs), empty when none.
netdev_mac() {
  local n
  n=$(vf_if "$1")
  [ -n "$n" ] && cat "/sys/class/net/$n/address"
}

# ---------------------------------------------------------------- setup
# Set-up helpers change state with raw sysfs writes (never with vfnet), so a
# scenario's preconditions do not depend on the code under test.  They
# print what they do and return 1 on failure; call them through `setup`.

# given_pf_bound: igb is bound to the PF and its netdev exists.
given_pf_bound() {
  if [ ! -e "$PF_DIR/driver" ]; then
    echo "binding $PF_PCI to igb"
    echo "$PF_PCI" > /sys/bus/pci/drivers/igb/bind || return 1
  fi
  wait_until 20 sh -c "ls '$PF_DIR/net' 2>/dev/null | grep -q ."
}

# given_vfs N [nonet]: the PF has N VFs (made through 0 if needed), all with
# netdevs (unless nonet).  VFs bound to another driver are re-created.
given_vfs() {
  local n="$1" mode="${2:-net}"
  given_pf_bound || return 1
  if [ "$(numvfs)" = "$n" ] && vfs_ready "$n" "$mode" > /dev/null && vfs_all_igbvf_or_none "$mode"; then
    return 0
  fi
  if [ "$(numvfs)" != 0 ]; then
    sysfs_write "$PF_DIR/sriov_numvfs" 0 || return 1
  fi
  if [ "$n" != 0 ]; then
    sysfs_write "$PF_DIR/sriov_numvfs" "$n" || return 1
  fi
  wait_until 60 vfs_ready "$n" "$mode"
}

# vfs_all_igbvf_or_none MODE: every VF is bound to igbvf (MODE net) or to
# nothing (MODE nonet).
vfs_all_igbvf_or_none() {
  local i=0 n want=igbvf
  n=$(numvfs)
  [ "$1" = net ] || want=
  while [ "$i" -lt "$n" ]; do
    [ "$(vf_driver "$i")" = "$want" ] || return 1
    i=$((i + 1))
  done
}

# setup DESCRIPTION CMD [ARGS...]: runs a set-up command.  On failure the
# failure is reported as its own failed step "setup: DESCRIPTION"; on
# success nothing is counted.
setup() {
  local what="$1"
  shift
  step_close
  echo "==== [$E2E_SCENARIO] setup: $what"
  if ! "$@" > "$E2E_TMP/setup.log" 2>&1; then
    cat "$E2E_TMP/setup.log"
    res "E2E: FAIL $E2E_SCENARIO: setup: $what"
    { echo "FAILED: set-up command failed: $*"; cat "$E2E_TMP/setup.log"; echo "-- state:"; vfs_snapshot; dmesg | tail -n 20; } | res_detail
    return 1
  fi
  cat "$E2E_TMP/setup.log"
}

# baseline: the state every scenario starts from, restored by the runner
# before each scenario: igb bound to the PF, VF driver autoprobe on, no
# vfnet config file.  VFs are left as they are (given_vfs sets them).
baseline() {
  given_pf_bound || return 1
  [ "$(cat "$PF_DIR/sriov_drivers_autoprobe")" = 1 ] || echo 1 > "$PF_DIR/sriov_drivers_autoprobe"
  rm -rf /etc/vfnet
  unset VFNET_CONFIG VFNET_ROOT
}
