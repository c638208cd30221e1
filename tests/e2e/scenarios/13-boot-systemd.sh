# e2e-scenario: systemd as PID 1: vfnet.service (vfnet install --init systemd) makes 3 VFs and finishes before network-pre.target and systemd-networkd
# e2e-image: systemd
# e2e-boot: fresh
#
# The image (lib/image-systemd.sh) is a Debian bookworm root booted with
# systemd; this scenario runs from e2e-check.service once the boot is done.
# Times are systemd's monotonic timestamps (microseconds since the kernel
# started).  Reports `E2E: TIME boot-systemd ...`.

H=/e2e/host

# prop UNIT PROPERTY: one property of a unit (systemctl show --value).
prop() { systemctl show -p "$2" --value "$1"; }
# secs USEC: microseconds as seconds with 3 decimals.
secs() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000000 }'; }

step "vfnet install --init systemd wrote vfnet.service and enabled it"
note "$(cat "$H/install.out" 2>&1)"
expect_eq "vfnet install exit status" "$(cat "$H/install.rc" 2>&1)" 0
run systemctl is-enabled vfnet.service
expect_rc 0
run systemctl cat vfnet.service
expect_out "ExecStart=/usr/local/sbin/vfnet apply --wait"

step "vfnet.service ran at boot and succeeded (active, result success, exit status 0)"
run systemctl show -p ActiveState,SubState,Result,ExecMainStatus,ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic,ActiveEnterTimestampMonotonic vfnet.service
expect_out "ActiveState=active"
expect_out "Result=success"
expect_out "ExecMainStatus=0"
run journalctl -b -o cat -u vfnet.service
expect_out "$PF_PCI"
expect_out "0 -> 3"
info "vfnet.service's journal: $(out | tr '\n' '|')"

step "vfnet.service finished before network-pre.target was reached, and before systemd-networkd started"
v_start=$(prop vfnet.service ExecMainStartTimestampMonotonic)
v_end=$(prop vfnet.service ExecMainExitTimestampMonotonic)
v_active=$(prop vfnet.service ActiveEnterTimestampMonotonic)
np=$(prop network-pre.target ActiveEnterTimestampMonotonic)
nd=$(prop systemd-networkd.service ExecMainStartTimestampMonotonic)
note "vfnet.service: ExecMainStart=$v_start ExecMainExit=$v_end ActiveEnter=$v_active"
note "network-pre.target: ActiveEnter=$np ($(prop network-pre.target ActiveState))"
note "systemd-networkd.service: ExecMainStart=$nd ($(prop systemd-networkd.service ActiveState))"
note "$(systemd-analyze critical-chain network-pre.target 2>&1)"
check "vfnet.service's process exited (ExecMainExitTimestampMonotonic > 0)" test "${v_end:-0}" -gt 0
check "network-pre.target was reached" test "${np:-0}" -gt 0
check "vfnet exited ($v_end) before network-pre.target was reached ($np)" test "${v_end:-0}" -gt 0 -a "${v_end:-0}" -le "${np:-0}"
check "vfnet.service was active ($v_active) before network-pre.target ($np)" test "${v_active:-0}" -gt 0 -a "${v_active:-0}" -le "${np:-0}"
check "systemd-networkd started ($nd) after vfnet exited ($v_end)" test "${nd:-0}" -gt "${v_end:-0}"

step "install --unmanaged-vfs: networkd leaves the VFs alone (unmanaged) while its catch-all en*/eth* network takes the PF"
check "vfnet's .network is installed" test -f /etc/systemd/network/05-vfnet-unmanaged-vfs.network
# networkd's own record of each link (networkctl needs D-Bus, which this
# root does not have): /run/systemd/netif/links/IFINDEX, ADMIN_STATE=...
admin_state() { sed -n 's/^ADMIN_STATE=//p' "/run/systemd/netif/links/$(cat "/sys/class/net/$1/ifindex")" 2> /dev/null; }
for i in 0 1 2; do
  ifn=$(vf_if "$i")
  note "VF $i ($ifn): ADMIN_STATE=$(admin_state "$ifn")"
  expect_eq "VF $i ($ifn)'s state in networkd" "$(admin_state "$ifn")" unmanaged
done
pst=$(admin_state "$(pf_if)")
note "PF ($(pf_if)): ADMIN_STATE=$pst"
check "the PF is managed by the catch-all network (not unmanaged)" test -n "$pst" -a "$pst" != unmanaged

step "3 VFs, bound to igbvf, with netdevs and IOMMU groups"
check "3 VFs ready" vfs_ready 3
expect_eq "VF 0 driver" "$(vf_driver 0)" igbvf

step_close
report_time "boot-systemd vfs_present=$(secs "${v_end:-0}")s (vfnet.service exited; since kernel start) vfnet_started=$(secs "${v_start:-0}")s network-pre=$(secs "${np:-0}")s networkd=$(secs "${nd:-0}")s verified_at=$(uptime_now)s"
