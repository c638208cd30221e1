# e2e-scenario: vfnet set PF 3 returns only when 3 VFs exist with netdevs and IOMMU groups; list shows them

setup "no VFs" given_vfs 0
PFIF=$(pf_if)

step "vfnet set PF 3 returns with 3 VFs ready (netdevs, IOMMU groups) and prints them"
run vfnet set "$PFIF" 3
expect_rc 0
# checked right when set returns: no waiting here
check "3 VFs with netdevs and IOMMU groups when set returns" vfs_ready 3
for i in 0 1 2; do
  expect_out "$(vf_pci $i)"
done

step "every VF is bound to igbvf and has an IOMMU group of its own"
for i in 0 1 2; do
  expect_eq "VF $i driver" "$(vf_driver $i)" igbvf
done
expect_eq "distinct IOMMU groups" \
  "$(for i in 0 1 2; do group_of "$(vf_dir $i)"; done | sort -u | wc -l)" 3

step "vfnet list --json shows the PF with 3/7 and the 3 VFs"
run vfnet list --json
expect_rc 0
expect_json pfs.0.num_vfs 3
expect_json pfs.0.total_vfs 7
expect_json vfs.length 3
for i in 0 1 2; do
  ifn=$(vf_if $i)
  expect_json vfs.$i.pci "\"$(vf_pci $i)\""
  expect_json vfs.$i.interface "\"$ifn\""
  expect_json vfs.$i.mac "\"$(cat "/sys/class/net/$ifn/address")\""
  expect_json vfs.$i.parent_pci "\"$PF_PCI\""
  expect_json vfs.$i.parent_interface "\"$PFIF\""
  expect_json vfs.$i.index "$i"
  expect_json vfs.$i.driver '"igbvf"'
  expect_json vfs.$i.iommu_group "$(group_of "$(vf_dir $i)")"
  expect_json vfs.$i.path "\"/sys/class/net/$ifn\""
done

step "vfnet list shows the PF with 3/7 and a row per VF"
run vfnet list
expect_rc 0
expect_table_row "$PF_PCI" "$PFIF" igb 3/7
for i in 0 1 2; do
  expect_table_row "$(vf_pci $i)" "$(vf_if $i)" "$PF_PCI" igbvf
done

step "vfnet set PF 3 again says so, exits 0 and changes nothing"
before=$(vfs_snapshot)
run vfnet set "$PFIF" 3
expect_rc 0
expect_eq "VFs (index, PCI, driver, netdev, ifindex)" "$(vfs_snapshot)" "$before"
check "the kernel did not disable SR-IOV" dmesg_lacks "IOV Disabled"
