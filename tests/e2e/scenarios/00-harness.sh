# e2e-scenario: the harness itself (no vfnet): the igb PF, real SR-IOV, the guest tools
#
# If this scenario fails, the harness or the guest kernel is broken, not vfnet.

setup "no VFs" given_vfs 0

step "the igb PF is in sysfs: igb bound, 7 total VFs, an IOMMU group, a netdev"
check "a 8086:10c9 PCI function exists" test "$PF_PCI" != none
expect_eq "sriov_totalvfs" "$(totalvfs)" 7
expect_eq "sriov_numvfs" "$(numvfs)" 0
expect_eq "PF driver" "$(basename "$(readlink "$PF_DIR/driver")")" igb
check "the PF has an IOMMU group (intel-iommu is on)" test -n "$(group_of "$PF_DIR")"
check "the PF has a netdev" test -n "$(pf_if)"

step "a raw sriov_numvfs write makes 2 igbvf VFs with netdevs, and 0 removes them"
run e2e-helper write "$PF_DIR/sriov_numvfs" 2
expect_rc 0
check "2 VFs with netdevs and IOMMU groups" wait_until 30 vfs_ready 2
expect_eq "VF 0 driver" "$(vf_driver 0)" igbvf
run e2e-helper write "$PF_DIR/sriov_numvfs" 0
expect_rc 0
check "no VFs left" vfs_ready 0

step "the guest has vfnet, pci.ids and the JSON flattener"
check "/usr/sbin/vfnet is executable" test -x /usr/sbin/vfnet
check "/usr/share/misc/pci.ids is there" test -s /usr/share/misc/pci.ids
run sh -c 'echo "{\"a\":[1,{\"b\":null}]}"'
expect_json a.1.b null
expect_json a.length 2
