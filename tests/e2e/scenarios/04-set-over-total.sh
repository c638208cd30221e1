# e2e-scenario: vfnet set PF 8 (more than the device allows): a clear error, exit 1, still 5 VFs

setup "5 VFs" given_vfs 5
PFIF=$(pf_if)

step "vfnet set PF 8 exits 1 naming the limit of 7, and changes nothing"
before=$(vfs_snapshot)
run vfnet set "$PFIF" 8
expect_rc 1
expect_err "8"
expect_err "7"
expect_eq "VFs (index, PCI, driver, netdev, ifindex)" "$(vfs_snapshot)" "$before"
check "the kernel did not disable SR-IOV" dmesg_lacks "IOV Disabled"

step "vfnet set PCI 8 (by address) fails the same way"
run vfnet set "$PF_PCI" 8
expect_rc 1
expect_err "7"
expect_eq "VFs (index, PCI, driver, netdev, ifindex)" "$(vfs_snapshot)" "$before"
