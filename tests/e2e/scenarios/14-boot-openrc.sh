# e2e-scenario: OpenRC (Debian's openrc under sysvinit): /etc/init.d/vfnet (vfnet install --init openrc) makes 3 VFs before ifupdown raises the links
# e2e-image: openrc
# e2e-boot: fresh
#
# The image (lib/image-openrc.sh) is a Debian bookworm root booted with
# sysvinit and Debian's openrc; this scenario runs from an inittab line once
# `openrc default` is done.  Reports `E2E: TIME boot-openrc ...`.
#
# Debian runs OpenRC from sysvinit's inittab: `openrc sysinit` (rcS), then
# `openrc default` (rc 2); nothing runs `openrc boot`, so the boot runlevel
# is never entered, and every LSB script with Default-Start: S (udev, kmod,
# mountkernfs.sh, ifupdown's networking) is in sysinit.  A service that is to
# run before networking must be in sysinit and must not `need` a service
# Debian does not have (sysfs, which initscripts' mountkernfs.sh mounts).

H=/e2e/host

# mtime_uptime FILE: FILE's modification time as seconds since the kernel
# started (wall clock of the file minus the wall clock of the boot).
mtime_uptime() {
  local m
  m=$(stat -c '%.3Y' "$1" 2> /dev/null) || return 1
  awk -v m="$m" -v now="$(date +%s.%N)" -v up="$(uptime_now)" 'BEGIN { printf "%.3f", m - (now - up) }'
}

step "vfnet install --init openrc wrote /etc/init.d/vfnet and added it to the sysinit runlevel (Debian's OpenRC never enters boot)"
note "$(cat "$H/install.out" 2>&1)"
expect_eq "vfnet install exit status" "$(cat "$H/install.rc" 2>&1)" 0
check "/etc/init.d/vfnet is executable" test -x /etc/init.d/vfnet
check "install linked /etc/runlevels/sysinit/vfnet" grep -qE "^linked (.*/)?etc/runlevels/sysinit/vfnet -> /etc/init.d/vfnet$" "$H/install.out"
check "/etc/runlevels/sysinit/vfnet is a link to /etc/init.d/vfnet" test "$(readlink /etc/runlevels/sysinit/vfnet)" = /etc/init.d/vfnet
others=
for l in /etc/runlevels/*/vfnet; do
  [ ! -e "$l" ] || [ "$l" = /etc/runlevels/sysinit/vfnet ] || others="$others $l"
done
expect_eq "vfnet in other runlevels" "$others" ""
run rc-update show -v
expect_out_re "^ *vfnet *\\| *sysinit *\$"

step "OpenRC started vfnet at boot (rc-service vfnet status: started)"
run rc-service vfnet status
expect_rc 0
expect_out_re "started"
run rc-status -a
info "rc-status: $(out | tr -s ' ' | tr '\n' '|')"

step "3 VFs, bound to igbvf, with netdevs and IOMMU groups"
check "3 VFs ready" vfs_ready 3
expect_eq "VF 0 driver" "$(vf_driver 0)" igbvf

step "the VFs existed when ifupdown's networking service raised the links"
note "$(cat /run/e2e/netprobe 2>&1)"
note "$(dmesg | grep -E 'e2e: ifupdown|VFs allocated' 2>&1)"
check "ifupdown raised lo (the probe ran)" test -s /run/e2e/netprobe
check "$PF_PCI had 3 VFs then" grep -q "$PF_PCI numvfs=3" /run/e2e/netprobe

step_close
t_alloc=$(klog_time "3 VFs allocated")
t_started=$(mtime_uptime /run/openrc/started/vfnet)
t_net=$(klog_time "e2e: ifupdown raises")
report_time "boot-openrc vfs_allocated=${t_alloc:-?}s (kernel log) vfnet_started=${t_started:-?}s (OpenRC marked vfnet started) ifupdown=${t_net:-?}s verified_at=$(uptime_now)s (since kernel start)"
