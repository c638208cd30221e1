# e2e-scenario: apply --json on the real igb: every config entry (a count, VF settings, an unknown device) with before, wanted, after and its status; the dry run predicts the real run, the second run changes nothing

setup "no VFs" given_vfs 0
PFIF=$(pf_if)
CONF=/tmp/apply-json.conf
cat > "$CONF" <<CONF
$PF_PCI=3
$PFIF.vfs.mac=auto
$PFIF.vf1.vlan=7
eth99=1
CONF
note "$CONF: $(cat "$CONF")"

step "apply --dry-run --json: one document; the count would go 0 -> 3, each VF would get its settings, eth99 fails; nothing changes"
run vfnet --config "$CONF" apply --dry-run --json
expect_rc 1
expect_json dry_run true
expect_json config_state '"read"'
expect_json entries.0.kind '"count"'
expect_json entries.0.pci "\"$PF_PCI\""
expect_json entries.0.before 0
expect_json entries.0.after 3
expect_json entries.0.status '"changed"'
# Entries come in file order (by first line): the count, VFs 0-2, eth99.
expect_json entries.4.status '"failed"'
expect_json entries.4.error '"no network interface eth99 on this system now"'
expect_json entries.1.index 0
expect_json entries.1.changes.0 '"mac auto"'
# The VFs do not exist yet: the kernel has said nothing of them.
expect_json entries.1.before null
expect_json entries.2.index 1
expect_json entries.2.lines.1 3
expect_json entries.2.wanted.vlan '"7"'
expect_json entries.3.index 2
expect_json totals.changed 4
expect_json totals.failed 1
expect_json exit_status 1
expect_eq "sriov_numvfs after the dry run" "$(numvfs)" 0

step "apply --json: what the dry run said: 0 -> 3, the MACs and VF 1's VLAN set, eth99 failed"
run vfnet --config "$CONF" apply --json
expect_rc 1
expect_err "eth99"
expect_json entries.0.status '"changed"'
expect_json entries.0.after 3
expect_json entries.4.status '"failed"'
expect_json entries.1.status '"changed"'
expect_json_re entries.1.changes.0 '^"mac ([0-9a-f]{2}:){5}[0-9a-f]{2}"$'
expect_json entries.2.status '"changed"'
expect_json_re entries.2.changes.1 '^"vlan 7'
expect_json totals.changed 4
# before and after: what the kernel reported of the asked settings.
expect_json entries.2.before.vlan "\"0\""
expect_json entries.2.after.vlan "\"7\""
expect_json_re entries.2.after.mac '^"06:([0-9a-f]{2}:){4}01"$'
expect_eq "sriov_numvfs" "$(numvfs)" 3
run vfnet list --json
expect_json vfs.1.settings.vlan 7

step "apply --json again: every entry unchanged, nothing written"
run vfnet --config "$CONF" apply --json
expect_rc 1
expect_json entries.0.status '"unchanged"'
expect_json entries.0.before 3
expect_json entries.1.status '"unchanged"'
expect_json entries.2.status '"unchanged"'
expect_json entries.2.before.vlan "\"7\""
expect_json entries.2.after.vlan "\"7\""
expect_json totals.changed 0
expect_json totals.unchanged 4

step "without the bad entry: exit 0, and the document says so"
sed -i '/eth99/d' "$CONF"
run vfnet --config "$CONF" apply --json
expect_rc 0
expect_json exit_status 0
expect_json error null
expect_json totals.failed 0
run vfnet set "$PFIF" 0
