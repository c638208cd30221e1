# e2e-scenario: appliance initramfs: /init loads the drivers and runs vfnet's boot script (initramfs-tools' init-premount/vfnet); 3 VFs exist when it returns
# e2e-image: appliance
# e2e-boot: fresh
#
# The image (lib/image-appliance.sh) has vfnet installed by `vfnet --root TREE
# install --init initramfs-tools` and a config asking for 3 VFs; its /init
# (guest/init-appliance) ran the boot script before this scenario and recorded
# in /run/e2e/ what happened.  Reports `E2E: TIME boot-appliance ...`: seconds
# from kernel start to the VFs being present.

H=/e2e/host
R=/run/e2e

step "vfnet install --init initramfs-tools installed the binary, a config and the repo's boot script"
note "$(cat "$H/install.out" 2>&1)"
expect_eq "vfnet install exit status" "$(cat "$H/install.rc" 2>&1)" 0
check "/usr/local/sbin/vfnet is executable" test -x /usr/local/sbin/vfnet
note "cmp repo script, installed script: $(cat "$H/script.cmp" 2>&1)"
expect_eq "installed boot script = initramfs-hooks/initramfs-tools/scripts/init-premount/vfnet (cmp status)" "$(tail -n 1 "$H/script.cmp")" 0

step "/init ran the boot script: it exited 0 and logged vfnet's lines to the kernel log, tagged vfnet:"
note "boot script output (stdout+stderr): $(cat "$R/script.out" 2>&1)"
note "kernel log, vfnet lines: $(dmesg | grep 'vfnet' 2>&1)"
expect_eq "boot script exit status" "$(cat "$R/script.rc" 2>&1)" 0
check "the kernel log has vfnet's line for the PF: $PF_PCI ... 0 -> 3" sh -c "dmesg | grep 'vfnet: ' | grep -F '$PF_PCI' | grep -q '0 -> 3'"
check "every vfnet line went to the kernel log, none to the console" test ! -s "$R/script.out"

step "3 VFs, each with a netdev, the moment the boot script returned"
note "$(cat "$R/vfs-at-end" 2>&1)"
check "$PF_PCI numvfs=3 netdevs=3" grep -qx "$PF_PCI numvfs=3 netdevs=3" "$R/vfs-at-end"

step "the 3 VFs are still there, bound to igbvf, with netdevs and IOMMU groups"
check "3 VFs ready" vfs_ready 3
expect_eq "VF 0 driver" "$(vf_driver 0)" igbvf

step_close
t_vfs=$(klog_last_time "vfnet: ")
report_time "boot-appliance vfs_present=${t_vfs:-?}s (kernel log time of vfnet's last line) script=$(cat $R/script-start)-$(cat $R/script-end)s verified_at=$(uptime_now)s (since kernel start)"
