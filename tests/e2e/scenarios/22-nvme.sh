# e2e-scenario: an NVMe controller with SR-IOV (not a NIC): list --all, set by full and short address, over-total, 0, autoprobe off, a VF to vfio-pci, persist and apply
# e2e-image: nvme

NV=0000:02:00.0
NVDIR=/sys/bus/pci/devices/$NV
nv_num() { cat "$NVDIR/sriov_numvfs"; }
nv_vf() { readlink "$NVDIR/virtfn$1" | sed 's|.*/||'; }

step "the NVMe PF is there, bound to nvme, with 4 VFs allowed"
check "$NV exists" test -d "$NVDIR"
expect_eq "its driver" "$(readlink "$NVDIR/driver" 2>/dev/null | sed 's|.*/||')" nvme
expect_eq "sriov_totalvfs" "$(cat "$NVDIR/sriov_totalvfs" 2>/dev/null)" 4

step "vfnet list --all shows the NVMe PF (no netdev) with 0/4 VFs; plain list does not"
run vfnet list --all --json
expect_rc 0
expect_out "\"pci\":\"$NV\""
expect_out "\"driver\":\"nvme\""
expect_out "\"total_vfs\":4"
run vfnet list --json
expect_rc 0
expect_no_out "\"pci\":\"$NV\""

step "vfnet set $NV 2 (full address) makes 2 VFs, and says nothing of a missing NIC driver"
run vfnet set "$NV" 2
expect_rc 0
expect_eq "sriov_numvfs" "$(nv_num)" 2
expect_no_out "VF driver module"
expect_no_out "module available"
# QEMU's secondary controllers start offline: nvme gives up on the VFs, and
# vfnet says what the kernel log said about them.
expect_out "without a driver: the kernel log says: nvme"
note "what vfnet said: $(out) $(err)"

step "vfnet set 02:00.0 3 (short address) goes through 0 to 3"
run vfnet set 02:00.0 3
expect_rc 0
expect_out "$NV: 2 -> 3 VFs"
expect_eq "sriov_numvfs" "$(nv_num)" 3

step "5 VFs is over the total of 4: refused, nothing changed"
run vfnet set "$NV" 5
expect_rc 1
expect_err "at most 4"
expect_eq "sriov_numvfs" "$(nv_num)" 3

step "vfnet set $NV 0 removes them"
run vfnet set "$NV" 0
expect_rc 0
expect_eq "sriov_numvfs" "$(nv_num)" 0

step "--autoprobe off: 2 VFs, no driver, no note about drivers"
run vfnet set "$NV" 2 --autoprobe off
expect_rc 0
expect_eq "sriov_numvfs" "$(nv_num)" 2
expect_eq "sriov_drivers_autoprobe" "$(cat "$NVDIR/sriov_drivers_autoprobe")" 0
expect_no_out "note:"

step "VF 0 of the NVMe PF to vfio-pci"
run vfnet vf "$NV" 0 driver vfio-pci
expect_rc 0
expect_eq "VF 0's driver" "$(readlink "/sys/bus/pci/devices/$(nv_vf 0)/driver" | sed 's|.*/||')" vfio-pci
run vfnet list --all --json
expect_out "\"pci\":\"$(nv_vf 0)\""
expect_out "\"driver\":\"vfio-pci\""
run vfnet vf "$NV" 0 driver default
run vfnet set "$NV" 0 --autoprobe on

step "persist $NV 2, then apply makes 2 VFs; apply again changes nothing"
mkdir -p /etc/vfnet
run vfnet persist "$NV" 2
expect_rc 0
expect_out "$NV: 2 VFs recorded"
check "the config has $NV=2" grep -qx "$NV=2" /etc/vfnet/vfnet.conf
run vfnet apply
expect_rc 0
expect_out "$NV: 0 -> 2 VFs"
expect_eq "sriov_numvfs" "$(nv_num)" 2
run vfnet apply
expect_rc 0
expect_out "$NV: 2 VFs, as configured"
run vfnet set "$NV" 0
