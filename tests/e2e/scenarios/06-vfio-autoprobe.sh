# e2e-scenario: a VF bound to vfio-pci, then sriov_drivers_autoprobe 0 and new VFs: list shows VFs without netdev

setup "3 VFs" given_vfs 3
PFIF=$(pf_if)
VF1=$(vf_pci 1)

# bind_vfio PCI: moves a VF from igbvf to vfio-pci (driver_override).
bind_vfio() {
  echo vfio-pci > "/sys/bus/pci/devices/$1/driver_override" &&
    echo "$1" > "/sys/bus/pci/devices/$1/driver/unbind" &&
    echo "$1" > /sys/bus/pci/drivers_probe &&
    wait_until 10 sh -c "readlink /sys/bus/pci/devices/$1/driver | grep -q /vfio-pci\$"
}
setup "VF 1 ($VF1) bound to vfio-pci" bind_vfio "$VF1"

step "vfnet list --json shows VF 1 on vfio-pci with no netdev and no MAC"
expect_eq "VF 1 netdev (sysfs)" "$(vf_if 1)" ""
run vfnet list --json
expect_rc 0
expect_json vfs.length 3
expect_json vfs.1.pci "\"$VF1\""
expect_json vfs.1.driver '"vfio-pci"'
expect_json vfs.1.interface null
expect_json vfs.1.mac null
expect_json vfs.1.iommu_group "$(group_of "$(vf_dir 1)")"
expect_json vfs.1.index 1
expect_json vfs.1.parent_pci "\"$PF_PCI\""
# no netdev: the Device Path is the VF's PCI directory
expect_json_re vfs.1.path "/sys/.*/$VF1\""
for i in 0 2; do
  expect_json vfs.$i.driver '"igbvf"'
  expect_json vfs.$i.interface "\"$(vf_if $i)\""
done

step "vfnet list shows VF 1 with '-' for its interface, on vfio-pci"
run vfnet list
expect_rc 0
expect_table_row "$VF1" - vfio-pci "$PF_PCI"
expect_table_row "$(vf_pci 0)" "$(vf_if 0)" igbvf "$PF_PCI"

setup "sriov_drivers_autoprobe 0" sh -c "echo 0 > $PF_DIR/sriov_drivers_autoprobe"

step "vfnet set PF 2 with autoprobe off: exit 0 with 2 VFs that have no driver, without waiting for netdevs that cannot come"
t0=$(now)
run vfnet set "$PFIF" 2 --timeout 30
took=$(elapsed "$t0")
expect_rc 0
check "2 VFs with IOMMU groups" vfs_ready 2 nonet
expect_eq "VF 0 driver" "$(vf_driver 0)" ""
expect_eq "VF 1 driver" "$(vf_driver 1)" ""
check "set returned within 15 s (took ${took}s)" awk -v t="$took" 'BEGIN { exit !(t < 15) }'

step "vfnet list --json shows the 2 VFs with no driver, no netdev, no MAC"
run vfnet list --json
expect_rc 0
expect_json pfs.0.num_vfs 2
expect_json vfs.length 2
for i in 0 1; do
  expect_json vfs.$i.pci "\"$(vf_pci $i)\""
  expect_json vfs.$i.driver null
  expect_json vfs.$i.interface null
  expect_json vfs.$i.mac null
  expect_json vfs.$i.index "$i"
  expect_json vfs.$i.iommu_group "$(group_of "$(vf_dir $i)")"
  expect_json_re vfs.$i.path "/sys/.*/$(vf_pci $i)\""
done

step "vfnet list shows them with '-' for the interface"
run vfnet list
expect_rc 0
expect_table_row "$PF_PCI" "$PFIF" igb 2/7
for i in 0 1; do
  expect_table_row "$(vf_pci $i)" - "$PF_PCI"
done

# restore: autoprobe on and no VFs, so later scenarios start clean.
restore() { echo 1 > "$PF_DIR/sriov_drivers_autoprobe" && given_vfs 0; }
setup "autoprobe back on, no VFs" restore
