# e2e-scenario: vfnet set PF 5 while 3 exist goes through 0 and ends with 5

setup "3 VFs" given_vfs 3
PFIF=$(pf_if)

step "vfnet set PF 5 with 3 VFs exits 0 with 5 VFs ready"
run vfnet set "$PFIF" 5
expect_rc 0
check "5 VFs with netdevs and IOMMU groups when set returns" vfs_ready 5
check "the kernel logged 'IOV Disabled' before '5 VFs allocated' (went through 0)" \
  dmesg_order "IOV Disabled" "5 VFs allocated"
for i in 0 1 2 3 4; do
  expect_out "$(vf_pci $i)"
done

step "vfnet list --json shows 5 VFs, all on igbvf with netdevs"
run vfnet list --json
expect_rc 0
expect_json pfs.0.num_vfs 5
expect_json vfs.length 5
for i in 0 1 2 3 4; do
  expect_json vfs.$i.pci "\"$(vf_pci $i)\""
  expect_json vfs.$i.interface "\"$(vf_if $i)\""
  expect_json vfs.$i.driver '"igbvf"'
  expect_json vfs.$i.index "$i"
done
