# e2e-scenario: PF driver unbound: vfnet set explains that no driver is bound (the kernel answers ENOENT); rebind

setup "no VFs" given_vfs 0
PFIF=$(pf_if)

unbind_pf() {
  echo "$PF_PCI" > /sys/bus/pci/drivers/igb/unbind && [ ! -e "$PF_DIR/driver" ]
}
setup "igb unbound from the PF" unbind_pf

step "the kernel answers ENOENT to a raw sriov_numvfs write (precondition)"
run e2e-helper write "$PF_DIR/sriov_numvfs" 2
expect_rc 1
expect_out "ENOENT"

step "vfnet set PCI 2 exits 1 and explains that no driver is bound"
run vfnet set "$PF_PCI" 2
expect_rc 1
expect_err_re "no driver|not bound|unbound|without a driver"
expect_eq "sriov_numvfs" "$(numvfs)" 0

step "vfnet set by the PF's old interface name exits 1: the netdev is gone"
run vfnet set "$PFIF" 2
expect_rc 1
expect_err "$PFIF"

step "vfnet list --all --json shows the PF with no driver and no interface"
# plain `list` shows functions with a netdev; --all adds SR-IOV functions
# without one, like this PF now
run vfnet list --all --json
expect_rc 0
expect_json pfs.length 1
expect_json pfs.0.pci "\"$PF_PCI\""
expect_json pfs.0.driver null
expect_json pfs.0.interface null
expect_json pfs.0.num_vfs 0
expect_json pfs.0.total_vfs "$(totalvfs)"
expect_json_re pfs.0.path "/sys/.*/$PF_PCI\""
expect_json vfs.length 0

setup "igb bound again" given_pf_bound

step "after rebinding igb, vfnet set PF 1 works and list shows igb with 1/7"
run vfnet set "$(pf_if)" 1
expect_rc 0
check "1 VF with a netdev when set returns" vfs_ready 1
run vfnet list --json
expect_rc 0
expect_json pfs.0.driver '"igb"'
expect_json pfs.0.total_vfs 7
expect_json pfs.0.num_vfs 1
expect_json vfs.length 1
