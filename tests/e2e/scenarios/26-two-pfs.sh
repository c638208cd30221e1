# e2e-scenario: two igb PFs: the boot script's one apply gives both 7 VFs with auto MACs; each PF's time, the total, and one PF after the other against both at once
# e2e-image: appliance-two
# e2e-boot: fresh
#
# The image (lib/image-appliance-two.sh) is the appliance image on a machine
# with a second igb at 0000:02:00.0 and a config asking for 7 VFs with
# `vfs.mac=auto` on each PF. Its /init ran the boot script (one `vfnet apply
# --wait 30`) before this scenario. Then the same work is timed again, both
# PFs at once against one PF after the other, with raw sysfs writes between.

R=/run/e2e
P1=0000:01:00.0
P2=0000:02:00.0
# The config the boot used (the runner removed /etc/vfnet since).
CONF=/e2e/host/two-pfs.conf

# dir_of P / if_of P: a PF's sysfs directory and netdev.
dir_of() { echo "/sys/bus/pci/devices/$1"; }
if_of() { ls "$(dir_of "$1")/net" 2>/dev/null | head -n 1; }
# ready P N: P has N VFs, each with igbvf and a netdev.
ready() {
  local d i=0
  d=$(dir_of "$1")
  [ "$(cat "$d/sriov_numvfs")" = "$2" ] || return 1
  while [ "$i" -lt "$2" ]; do
    [ "$(readlink "$d/virtfn$i/driver" 2>/dev/null | sed 's|.*/||')" = igbvf ] || return 1
    ls "$d/virtfn$i/net/" 2>/dev/null | grep -q . || return 1
    i=$((i + 1))
  done
}
# macs_ok P: each VF's netdev has the auto MAC of P's MAC and its index.
macs_ok() {
  local d pfmac i=0 n want got
  d=$(dir_of "$1")
  pfmac=$(cat "/sys/class/net/$(if_of "$1")/address")
  n=$(cat "$d/sriov_numvfs")
  while [ "$i" -lt "$n" ]; do
    want=$(auto_mac "$pfmac" "$i")
    got=$(cat "$d/virtfn$i/net/"*/address 2>/dev/null)
    [ "$got" = "$want" ] || { echo "$1 VF $i: $got, not $want"; return 1; }
    i=$((i + 1))
  done
}
# took P: the seconds of the last "P...: 0 -> 7 VFs in N s." line in FILE.
took() { grep -F "($1): 0 -> 7 VFs in " "$2" | tail -n 1 | sed 's/.* VFs in \([0-9.]*\) s\..*/\1/'; }
# zero: both PFs back to 0 VFs, with raw writes.
zero() {
  for p in $P1 $P2; do
    [ "$(cat "$(dir_of "$p")/sriov_numvfs")" = 0 ] || echo 0 > "$(dir_of "$p")/sriov_numvfs"
  done
}

step "the machine has two igb PFs, each bound with 7 VFs allowed"
for p in $P1 $P2; do
  expect_eq "$p driver" "$(readlink "$(dir_of "$p")/driver" 2>/dev/null | sed 's|.*/||')" igb
  expect_eq "$p sriov_totalvfs" "$(cat "$(dir_of "$p")/sriov_totalvfs" 2>/dev/null)" 7
done
note "$CONF: $(cat "$CONF" 2>&1)"

step "the boot script's apply exited 0 and logged one line per PF, each 0 -> 7"
note "kernel log, vfnet lines: $(dmesg | grep 'vfnet' 2>&1)"
expect_eq "boot script exit status" "$(cat "$R/script.rc" 2>&1)" 0
dmesg | grep 'vfnet: ' > "$E2E_TMP/boot.log"
for p in $P1 $P2; do
  check "the kernel log has $p: 0 -> 7" grep -qF "($p): 0 -> 7 VFs in " "$E2E_TMP/boot.log"
done

step "both PFs had 7 VFs with netdevs the moment the boot script returned, and have them now, with the auto MACs"
note "$(cat "$R/vfs-at-end" 2>&1)"
for p in $P1 $P2; do
  check "$p numvfs=7 netdevs=7 at the end of the script" grep -qx "$p numvfs=7 netdevs=7" "$R/vfs-at-end"
  check "$p: 7 VFs ready" ready "$p" 7
  check "$p: every VF has its auto MAC" macs_ok "$p"
done
b1=$(took $P1 "$E2E_TMP/boot.log")
b2=$(took $P2 "$E2E_TMP/boot.log")
btotal=$(awk -v a="$(cat $R/script-start)" -v b="$(cat $R/script-end)" 'BEGIN { printf "%.3f", b - a }')

step "the same work one PF after the other (two configs, two applies), then both at once (one apply)"
grep -F "$P1" "$CONF" > /tmp/one.conf
grep -F "$P2" "$CONF" > /tmp/two.conf
check "a config per PF, two lines each" test "$(wc -l < /tmp/one.conf)" = 2 -a "$(wc -l < /tmp/two.conf)" = 2
zero
t0=$(now)
run vfnet --config /tmp/one.conf apply --wait 30
expect_rc 0
s1=$(took $P1 "$E2E_TMP/last.out")
run vfnet --config /tmp/two.conf apply --wait 30
expect_rc 0
s2=$(took $P2 "$E2E_TMP/last.out")
seq=$(elapsed "$t0")
check "$P1: 7 VFs ready after the applies one by one" ready $P1 7
check "$P2: 7 VFs ready after the applies one by one" ready $P2 7
zero
t0=$(now)
run vfnet --config "$CONF" apply --wait 30
expect_rc 0
both=$(elapsed "$t0")
note "apply of both: $(out)"
a1=$(took $P1 "$E2E_TMP/last.out")
a2=$(took $P2 "$E2E_TMP/last.out")
for p in $P1 $P2; do
  check "$p: 7 VFs ready after one apply of both" ready "$p" 7
  check "$p: every VF has its auto MAC again" macs_ok "$p"
done
expect_eq "the VF lines: the first PF's 7, then the second's (set at the same time, said in order)" "$(grep ') VF [0-9]: mac ' "$E2E_TMP/last.out" | grep -o '(0000:0[12]:00.0)' | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" "7($P1) 7($P2) "
expect_eq "one count line per PF, in the config's order" "$(grep ' -> 7 VFs in ' "$E2E_TMP/last.out" | grep -o '(0000:0[12]:00.0)' | tr '\n' ' ')" "($P1) ($P2) "

step_close
ratio=$(awk -v a="$both" -v b="$seq" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')
report_time "two-pfs boot: $P1=${b1:-?}s $P2=${b2:-?}s script=${btotal}s; after boot: one-by-one=${seq}s ($P1=${s1:-?}s $P2=${s2:-?}s) at-once=${both}s ($P1=${a1:-?}s $P2=${a2:-?}s) at-once/one-by-one=${ratio}"
