# e2e-scenario: vfnet list and --json before any VFs: the igb PF with 7 total, 0 active, driver, IOMMU group, description

setup "no VFs" given_vfs 0
PFIF=$(pf_if)
GRP=$(group_of "$PF_DIR")

step "vfnet list shows the igb PF: 0/7 VFs, igb, IOMMU group, description"
run vfnet list
expect_rc 0
expect_err_empty
# the summary line counts 1 PF and 0 VFs
check "the first line counts 1 PF and 0 VFs" sh -c "head -n 1 '$E2E_TMP/last.out' | grep -E '(^|[^0-9])1[^0-9].*PF' | grep -qE '(^|[^0-9])0[^0-9].*VF'"
expect_table_row "$PF_PCI" "$PFIF" igb 0/7 "$GRP"
expect_out "82576 Gigabit Network Connection"
expect_no_out "0000:01:10.0"
cp "$E2E_TMP/last.out" "$E2E_TMP/list.txt"

step "vfnet with no command is vfnet list"
run vfnet
expect_rc 0
check "same output as vfnet list" cmp "$E2E_TMP/last.out" "$E2E_TMP/list.txt"

step "vfnet list --json describes the PF and no VFs"
run vfnet list --json
expect_rc 0
expect_err_empty
expect_json pfs.length 1
expect_json pfs.0.pci "\"$PF_PCI\""
expect_json pfs.0.interface "\"$PFIF\""
expect_json pfs.0.interfaces.length 1
expect_json pfs.0.interfaces.0 "\"$PFIF\""
expect_json pfs.0.driver '"igb"'
expect_json pfs.0.vendor '"0x8086"'
expect_json pfs.0.device '"0x10c9"'
expect_json_re pfs.0.description '82576 Gigabit Network Connection'
expect_json pfs.0.sriov_capable true
expect_json pfs.0.total_vfs 7
expect_json pfs.0.num_vfs 0
expect_json pfs.0.configured_vfs null
expect_json pfs.0.iommu_group "$GRP"
# the Device Path: the netdev's /sys/class/net entry (the PCI directory
# when there is no netdev, see 06 and 07)
expect_json pfs.0.path "\"/sys/class/net/$PFIF\""
expect_json vfs.length 0
cp "$E2E_TMP/last.out" "$E2E_TMP/list.json"

step "vfnet --json is vfnet list --json"
run vfnet --json
expect_rc 0
check "same output as vfnet list --json" cmp "$E2E_TMP/last.out" "$E2E_TMP/list.json"

step "vfnet list --all also shows the PF"
run vfnet list --all
expect_rc 0
expect_table_row "$PF_PCI" "$PFIF" igb 0/7
