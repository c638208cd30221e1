# e2e-scenario: persist, set 0, apply: the persisted count comes back; apply --dry-run changes nothing; a bad config still applies its good entry and exits 1

setup "no VFs" given_vfs 0
PFIF=$(pf_if)
CONF=/etc/vfnet/vfnet.conf

# conf_count: the count the default config holds for the PF (by interface
# name or PCI address), empty if none.
conf_count() {
  sed -n -e "s/^[[:space:]]*${PFIF}[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p" \
    -e "s/^[[:space:]]*${PF_PCI}[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p" "${1:-$CONF}" 2>/dev/null | tail -n 1
}

step "vfnet persist PF records the live count (4) in $CONF, creating it"
run vfnet set "$PFIF" 4
expect_rc 0
run vfnet persist "$PFIF"
expect_rc 0
check "$CONF exists" test -f "$CONF"
note "$CONF: $(cat "$CONF" 2>&1)"
expect_eq "count for the PF in $CONF" "$(conf_count)" 4
check "live state unchanged: 4 VFs" vfs_ready 4

step "vfnet list --json shows configured_vfs 4"
run vfnet list --json
expect_rc 0
expect_json pfs.0.configured_vfs 4
expect_json pfs.0.num_vfs 4

step "vfnet set PF 0 removes the VFs"
run vfnet set "$PFIF" 0
expect_rc 0
check "no VFs when set returns" vfs_ready 0

step "vfnet apply --dry-run tells what it would do and changes nothing"
run vfnet apply --dry-run
expect_rc 0
expect_out "4"
expect_eq "sriov_numvfs" "$(numvfs)" 0
check "the kernel allocated no VFs" dmesg_lacks "VFs allocated"

step "vfnet apply brings the persisted 4 VFs back"
run vfnet apply
expect_rc 0
check "4 VFs with netdevs when apply returns" vfs_ready 4

step "vfnet apply again changes nothing"
before=$(vfs_snapshot)
run vfnet apply
expect_rc 0
expect_eq "VFs (index, PCI, driver, netdev, ifindex)" "$(vfs_snapshot)" "$before"

step "vfnet persist PF 2 records 2, keeps comments, and leaves the live 4 VFs alone"
sed -i '1i # a comment vfnet must keep' "$CONF"
run vfnet persist "$PFIF" 2
expect_rc 0
note "$CONF: $(cat "$CONF" 2>&1)"
expect_eq "count for the PF in $CONF" "$(conf_count)" 2
check "the comment is still there" grep -qx '# a comment vfnet must keep' "$CONF"
check "one entry for the PF, not two" test "$(grep -cE "^[[:space:]]*($PFIF|$PF_PCI)[[:space:]]*=" "$CONF")" = 1
expect_eq "VFs (index, PCI, driver, netdev, ifindex)" "$(vfs_snapshot)" "$before"

step "VFNET_CONFIG chooses the config file persist writes"
run env VFNET_CONFIG=/tmp/alt.conf vfnet persist "$PFIF" 1
expect_rc 0
expect_eq "count for the PF in /tmp/alt.conf" "$(conf_count /tmp/alt.conf)" 1
expect_eq "count for the PF in $CONF (untouched)" "$(conf_count)" 2

setup "no VFs" given_vfs 0
printf '# e2e: one good entry, one broken line, one unknown device\n%s=2\nthis line is broken\neth42=3\n' "$PF_PCI" > /tmp/bad.conf

step "vfnet --config with a broken line and an unknown device applies the good entry and exits 1"
run vfnet --config /tmp/bad.conf apply
expect_rc 1
check "2 VFs with netdevs when apply returns (the good entry)" vfs_ready 2
expect_err_re "line 3|:3|broken"
expect_err "eth42"

step "vfnet apply --dry-run with the same bad config changes nothing and exits 1"
before=$(vfs_snapshot)
printf '# e2e\n%s=5\nthis line is broken\n' "$PF_PCI" > /tmp/bad2.conf
run vfnet --config /tmp/bad2.conf apply --dry-run
expect_rc 1
expect_eq "VFs (index, PCI, driver, netdev, ifindex)" "$(vfs_snapshot)" "$before"
