# e2e-scenario: who uses each VF on the real kernel: a vfio holder, a VF in another network namespace, a VF up with an address; set refuses and changes nothing, --force proceeds, vf DEV free skips the used ones
# e2e-image: iproute2

PFIF=$(pf_if)

setup "4 VFs" given_vfs 4
VF1=$(vf_pci 1)
VF2IF=$(vf_if 2)
VF4IF=$(vf_if 3)

step "VF 1 on vfio-pci, held by a program (as a VMM holds it), VF 2 in a new network namespace, VF 3 up with an address"
run vfnet vf "$PFIF" 1 driver vfio-pci
expect_rc 0
GRP1=$(group_of "$(vf_dir 1)")
e2e-helper vfio-hold "$GRP1" "$VF1" > "$E2E_TMP/hold.out" 2>&1 &
HOLD=$!
check "the holder took VF 1" wait_until 20 grep -q holding "$E2E_TMP/hold.out"
unshare -n sleep 600 &
NS=$!
sleep 0.5
run "$IPROUTE2" link set dev "$VF2IF" netns "$NS"
expect_rc 0
# (A VF in a bridge: igbvf's netdev is refused as a bridge port here
# (EINVAL), so the bridge case is covered on fake trees.) An address from TEST-NET-1, on a guest that has no network backend:
# nothing is sent.
run "$IPROUTE2" addr add 192.0.2.10/24 dev "$VF4IF"
expect_rc 0
run "$IPROUTE2" link set dev "$VF4IF" up
expect_rc 0

step "vfnet list --json names each user: the holder (pid $HOLD), the namespace's process (pid $NS), the host; VF 0 is free"
run vfnet list --json
expect_rc 0
expect_json vfs.0.used_by null
expect_json vfs.1.used_by.kind '"dpdk"'
expect_json vfs.1.used_by.name '"e2e-helper"'
expect_json vfs.1.used_by.pid "$HOLD"
expect_json vfs.2.used_by.kind '"netns"'
expect_json vfs.2.used_by.pid "$NS"
expect_json vfs.3.used_by.kind '"host"'
expect_json vfs.3.used_by.name "\"$VF4IF\""
run vfnet list
expect_out "dpdk:e2e-helper (pid $HOLD)"
expect_out "netns:pid $NS"
expect_out "host:$VF4IF"

step "vfnet set PF 2 refuses, names each VF in use, and changes nothing"
run vfnet set "$PFIF" 2
expect_rc 1
expect_err "VF 1 ($VF1): used by dpdk:e2e-helper (pid $HOLD)"
expect_err "used by netns:pid $NS"
expect_err "used by host:$VF4IF"
expect_err "3 VFs in use: changing the VF count destroys every VF"
expect_eq "sriov_numvfs" "$(numvfs)" 4

step "vfnet vf PF 1 driver default refuses: a program holds it"
run vfnet vf "$PFIF" 1 driver default
expect_rc 1
expect_err "changing the driver takes a VF from its user"
expect_eq "VF 1's driver" "$(vf_driver 1)" vfio-pci

step "vfnet vf PF free gives VF 0, the only free one; with --json its row"
run vfnet vf "$PFIF" free
expect_rc 0
expect_out "$(vf_pci 0)"
run vfnet vf "$PFIF" free --json
expect_rc 0
expect_json index 0

step "set --dry-run says what it would destroy and exits 1 as set would; set --force proceeds (the holder let go first: the kernel waits for a held vfio device)"
run vfnet set "$PFIF" 2 --dry-run
# A dry run exits as the run would: refused, VFs in use.
expect_rc 1
expect_out "through 0: VFs 0-3 are destroyed"
expect_out "set would refuse: VFs in use"
expect_err "3 VFs in use: changing the VF count destroys every VF"
kill "$HOLD" 2> /dev/null
wait "$HOLD" 2> /dev/null
run vfnet set "$PFIF" 2 --force
expect_rc 0
expect_err "--force: destroying"
expect_eq "sriov_numvfs" "$(numvfs)" 2
kill "$NS" 2> /dev/null
