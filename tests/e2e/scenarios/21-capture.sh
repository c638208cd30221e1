# e2e-scenario: vfnet capture in several states; the host replays each capture with --root and must list exactly what the guest listed live
#
# Each state sends STATE.tar (vfnet capture) and the live listings
# (STATE.json, STATE.all.json, STATE.txt) to the host (export_file); after
# the boot, run.sh unpacks each capture and compares `vfnet --root` with
# them ("replay STATE" lines). The captures are what tests/captures/ keeps.

PFIF=$(pf_if)

# snap STATE: capture, the three listings, all sent to the host.
snap() {
  local s="$1" f
  vfnet capture "$E2E_TMP/$s.tar" || return 1
  vfnet list --json > "$E2E_TMP/$s.json" || return 1
  vfnet list --all --json > "$E2E_TMP/$s.all.json" || return 1
  vfnet list > "$E2E_TMP/$s.txt" || return 1
  for f in tar json all.json txt; do
    export_file "$s.$f" "$E2E_TMP/$s.$f" || { echo "cannot send $s.$f"; return 1; }
  done
  echo "sent $s: $(wc -c < "$E2E_TMP/$s.tar") bytes of capture"
}

setup "no VFs" given_vfs 0
step "capture with no VFs"
run snap igb-no-vfs
expect_rc 0
expect_out "sent igb-no-vfs"

setup "3 VFs" given_vfs 3
step "capture with 3 VFs on igbvf"
run snap igb-3-vfs
expect_rc 0

step "capture with VF 1 on vfio-pci"
run vfnet vf "$PFIF" 1 driver vfio-pci
expect_rc 0
run snap igb-vf1-vfio
expect_rc 0

step "capture with VF 1 held through vfio by a program: the replay names its user"
e2e-helper vfio-hold "$(group_of "$(vf_dir 1)")" "$(vf_pci 1)" > "$E2E_TMP/hold.out" 2>&1 &
HOLD=$!
check "the holder took VF 1" wait_until 20 grep -q holding "$E2E_TMP/hold.out"
run snap igb-vf1-held
expect_rc 0
kill "$HOLD" 2> /dev/null
wait "$HOLD" 2> /dev/null

step "capture with VF 2 bound to no driver"
run sh -c "echo $(vf_pci 2) > $(vf_dir 2)/driver/unbind"
expect_rc 0
run snap igb-vf2-unbound
expect_rc 0

step "capture with VF settings (admin MAC, VLAN, trust): the replay shows them too"
run vfnet vf "$PFIF" 0 mac 02:11:22:33:44:55 vlan 100 trust on
expect_rc 0
run snap igb-vf0-settings
expect_rc 0
run vfnet vf "$PFIF" 1 driver default
