# e2e-scenario: dracut: an initrd built by dracut in a chroot where the NIC is not visible creates 3 VFs before the real root is mounted
# e2e-image: dracut
# e2e-boot: fresh
#
# The image (lib/image-dracut.sh): a Debian bookworm root with dracut, vfnet
# installed by `vfnet --root ROOT install --init dracut --driver igb,igbvf`,
# its initrd made by `dracut -f` in that root with an empty /sys, booted
# from an ext4 disk with init=/e2e/first-init, which recorded the VFs first
# thing in the real root. Reports `E2E: TIME boot-dracut ...`.

H=/e2e/host

step "vfnet install --init dracut --driver igb,igbvf installed the module and recorded the drivers"
note "$(cat "$H/install.out" 2>&1)"
expect_eq "vfnet install exit status" "$(cat "$H/install.rc" 2>&1)" 0
check "/usr/lib/dracut/modules.d/90vfnet/module-setup.sh is executable" test -x /usr/lib/dracut/modules.d/90vfnet/module-setup.sh
check "/etc/dracut.conf.d/vfnet.conf adds the module" grep -q 'add_dracutmodules+=" vfnet "' /etc/dracut.conf.d/vfnet.conf
check "/etc/vfnet/drivers names igb (a copy in $H: the runner clears /etc/vfnet)" grep -qx igb "$H/drivers"
check "/etc/vfnet/drivers names igbvf" grep -qx igbvf "$H/drivers"

step "dracut, with no PCI device visible, put vfnet, its config, its hook and igb/igbvf into the initrd"
note "$(tail -n 15 "$H/dracut.out" 2>&1)"
for f in usr/local/sbin/vfnet etc/vfnet/vfnet.conf "pre-mount/10-vfnet-apply.sh" "igb.ko" "igbvf.ko"; do
  check "the initrd has $f" grep -q "$f" "$H/initrd.list"
done

step "the pre-mount hook ran in the initrd: vfnet's lines are in the kernel log, tagged vfnet:"
note "$(dmesg | grep -E 'vfnet|e2e: real root|dracut' | tail -n 30 2>&1)"
check "a vfnet line for the PF: $PF_PCI ... 0 -> 3" sh -c "dmesg | grep 'vfnet: ' | grep -F '$PF_PCI' | grep -q '0 -> 3'"

step "3 VFs with netdevs existed when the real root's first process started"
note "$(cat /run/e2e/first-state 2>&1)"
check "the real root's first process was PID 1" grep -q 'pid=1$' /run/e2e/first-state
check "$PF_PCI numvfs=3 netdevs=3 at that moment" grep -qx "$PF_PCI numvfs=3 netdevs=3" /run/e2e/first-state
t_vfs=$(klog_last_time "vfnet: ")
t_root=$(klog_time "e2e: real root: first process")
t_mount=$(klog_time "EXT4-fs (vda): mounted")
note "kernel log: vfnet's last line at ${t_vfs}s, the root mounted at ${t_mount}s, the real root's first process at ${t_root}s"
check "in the kernel log, vfnet's line comes before the real root is mounted" sh -c "dmesg | awk '/vfnet: .* 0 -> 3/ { v = NR } /EXT4-fs \\(vda\\): mounted/ && !m { m = NR } END { exit !(v && m > v) }'"

step "the 3 VFs are still there, bound to igbvf, with netdevs and IOMMU groups"
check "3 VFs ready" vfs_ready 3
expect_eq "VF 0 driver" "$(vf_driver 0)" igbvf

step_close
report_time "boot-dracut vfs_present=${t_vfs:-?}s (kernel log time of vfnet's last line) root_mounted=${t_mount:-?}s real_root_started=${t_root:-?}s verified_at=$(uptime_now)s (since kernel start)"
