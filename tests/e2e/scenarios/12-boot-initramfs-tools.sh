# e2e-scenario: initramfs-tools: Debian's mkinitramfs with vfnet's hook makes an initrd that creates 3 VFs before switching to the real root
# e2e-image: initramfs-tools
# e2e-boot: fresh
#
# The image (lib/image-initramfs-tools.sh): a Debian bookworm root with vfnet
# installed by `vfnet --root ROOT install --init initramfs-tools`, its initrd
# made by `update-initramfs -u` in that root, booted from an ext4 disk with
# init=/e2e/first-init (guest/realroot-first-init), which recorded the VFs
# first thing in the real root.  Reports `E2E: TIME boot-initramfs-tools ...`.

H=/e2e/host

step "vfnet install --init initramfs-tools installed the hook and the boot script"
note "$(cat "$H/install.out" 2>&1)"
expect_eq "vfnet install exit status" "$(cat "$H/install.rc" 2>&1)" 0
check "/etc/initramfs-tools/hooks/vfnet is executable" test -x /etc/initramfs-tools/hooks/vfnet
check "/etc/initramfs-tools/scripts/init-premount/vfnet is executable" test -x /etc/initramfs-tools/scripts/init-premount/vfnet

step "Debian's mkinitramfs put vfnet, its config, the boot script and igb/igbvf into the initrd"
for f in usr/local/sbin/vfnet etc/vfnet/vfnet.conf scripts/init-premount/vfnet "igb.ko" "igbvf.ko"; do
  check "the initrd has $f" grep -q "$f" "$H/initrd.list"
done
check "the initrd has init-premount/ORDER (initramfs-tools runs vfnet from it)" grep -q "scripts/init-premount/ORDER" "$H/initrd.list"

step "the boot script ran in the initramfs: vfnet's lines are in the kernel log, tagged vfnet:"
note "$(dmesg | grep -E 'vfnet|e2e: real root' 2>&1)"
check "a vfnet line for the PF: $PF_PCI ... 0 -> 3" sh -c "dmesg | grep 'vfnet: ' | grep -F '$PF_PCI' | grep -q '0 -> 3'"

step "3 VFs with netdevs existed when the real root's first process started (before anything of the real root ran)"
note "$(cat /run/e2e/first-state 2>&1)"
check "the real root's first process was PID 1" grep -q 'pid=1$' /run/e2e/first-state
check "$PF_PCI numvfs=3 netdevs=3 at that moment" grep -qx "$PF_PCI numvfs=3 netdevs=3" /run/e2e/first-state
t_vfs=$(klog_last_time "vfnet: ")
t_root=$(klog_time "e2e: real root: first process")
note "kernel log: vfnet's last line at ${t_vfs}s, the real root's first process at ${t_root}s"
check "in the kernel log, vfnet's line comes before the real root's first process" sh -c "dmesg | awk '/vfnet: .* 0 -> 3/ { v = NR } /e2e: real root: first process/ { r = NR } END { exit !(v && r > v) }'"

step "the 3 VFs are still there, bound to igbvf, with netdevs and IOMMU groups"
check "3 VFs ready" vfs_ready 3
expect_eq "VF 0 driver" "$(vf_driver 0)" igbvf

step_close
report_time "boot-initramfs-tools vfs_present=${t_vfs:-?}s (kernel log time of vfnet's last line) real_root_started=${t_root:-?}s verified_at=$(uptime_now)s (since kernel start)"
