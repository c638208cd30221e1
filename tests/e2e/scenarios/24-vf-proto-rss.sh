# e2e-scenario: VLAN protocol and query_rss on igb: 802.1Q through IFLA_VF_VLAN_LIST (read back by ip), 802.1ad, query_rss, InfiniBand GUIDs and the devlink eswitch refused in one clear line each without blocking the other settings; VF ranges
# e2e-image: iproute2

PFIF=$(pf_if)
setup "2 VFs" given_vfs 2

step "vlan 100 proto 802.1Q on VF 0: set through IFLA_VF_VLAN_LIST, ip reads vlan 100 (802.1Q), vfnet too"
run vfnet vf "$PFIF" 0 vlan 100 proto 802.1Q
expect_rc 0
expect_out "vlan 100 qos 0 proto 802.1Q"
run "$IPROUTE2" -d -j link show "$PFIF"
# iproute2 names the protocol only when it is not 802.1Q.
expect_out '"vlan_list":[{"vlan":100}]'
run vfnet list --json
expect_json vfs.0.settings.vlan 100
expect_json vfs.0.settings.proto '"802.1Q"'

step "proto 802.1ad is refused by igb in one line; trust in the same command still applies"
run vfnet vf "$PFIF" 1 trust on vlan 200 proto 802.1ad
expect_rc 1
expect_err "VF 1: vlan 200 qos 0 proto 802.1ad: the PF's driver does not support this VLAN protocol"
expect_err_lines 2
expect_out "trust on"
run vfnet list --json
expect_json vfs.1.settings.trust true
expect_json vfs.1.settings.vlan 0

step "query_rss on is refused by igb in one line (igb has no such setting)"
run vfnet vf "$PFIF" 0 query_rss on
expect_rc 1
expect_err "VF 0: query_rss on: the PF's driver does not support this setting"

step "node_guid and port_guid on igb (Ethernet, not IPoIB): refused in one line before any request; trust in the same command still applies"
run vfnet vf "$PFIF" 1 node_guid auto trust off port_guid 00:11:22:33:44:55:66:77
expect_rc 1
expect_err "VF 1: node_guid, port_guid: GUIDs are for InfiniBand VFs, and the PF's interface is not InfiniBand (IPoIB)"
expect_err_lines 2
expect_out "VF 1: trust off."
run vfnet list --json
expect_json vfs.1.settings.trust false
expect_json vfs.1.settings.node_guid null
expect_json vfs.1.settings.port_guid null
note "the kernel itself: ip link set vf 1 node_guid on igb"
run "$IPROUTE2" link set "$PFIF" vf 1 node_guid 00:11:22:33:44:55:66:77
expect_rc 2
expect_err "Operation not supported"

step "node_guid in the config: apply --dry-run fails the same line the run fails, and both apply the rest"
run vfnet set "$PFIF" 2
CONF=/tmp/guid.conf
printf '%s=2\n%s.vf0.node_guid=auto\n%s.vf0.vlan=11\n' "$PF_PCI" "$PF_PCI" "$PF_PCI" > "$CONF"
run vfnet --config "$CONF" apply --dry-run --json
expect_rc 1
# The VF's lines (2 and 3) are one record, as for any setting a driver refuses.
expect_err "$CONF:2,3: $PFIF ($PF_PCI) VF 0: node_guid: GUIDs are for InfiniBand VFs"
expect_json entries.1.error '"'"$PFIF ($PF_PCI) VF 0: node_guid: GUIDs are for InfiniBand VFs, and the PF's interface is not InfiniBand (IPoIB)"'"'
expect_json entries.1.changes.0 '"vlan 11 qos 0"'
run vfnet --config "$CONF" apply --json
expect_rc 1
expect_err "$CONF:2,3: $PFIF ($PF_PCI) VF 0: node_guid: GUIDs are for InfiniBand VFs"
expect_json entries.1.error '"'"$PFIF ($PF_PCI) VF 0: node_guid: GUIDs are for InfiniBand VFs, and the PF's interface is not InfiniBand (IPoIB)"'"'
expect_json entries.1.changes.0 '"vlan 11 qos 0"'
run vfnet list --json
expect_json vfs.0.settings.vlan 11
run vfnet vf "$PFIF" 0 vlan 0

step "a range: vfnet vf PF 0-1 spoofchk off sets both VFs"
run vfnet vf "$PFIF" 0-1 spoofchk off
expect_rc 0
expect_out "VF 0: spoofchk off"
expect_out "VF 1: spoofchk off"
run vfnet list --json
expect_json vfs.0.settings.spoofchk false
expect_json vfs.1.settings.spoofchk false
run vfnet vf "$PFIF" 0-1 spoofchk on vlan 0 trust off

step "mtu 9000 on VF 0: the PF's MTU is raised to 9000 first, then the VF's netdev has 9000"
PFMTU=$(cat /sys/class/net/$PFIF/mtu)
note "PF mtu before: $PFMTU"
run vfnet vf "$PFIF" 0 mtu 9000
expect_rc 0
expect_out "PF mtu raised from $PFMTU to 9000"
expect_out "mtu 9000 on $(vf_if 0)"
expect_eq "the PF's mtu" "$(cat /sys/class/net/$PFIF/mtu)" 9000
expect_eq "VF 0's mtu" "$(cat /sys/class/net/$(vf_if 0)/mtu)" 9000
run vfnet vf "$PFIF" 0 mtu 9000
expect_rc 0
expect_out "already as asked"

step "mtu on a VF on vfio-pci is the guest's business: one clear line"
run vfnet vf "$PFIF" 1 driver vfio-pci
expect_rc 0
run vfnet vf "$PFIF" 1 mtu 9000
expect_rc 1
expect_err "VF 1: mtu 9000: it is on vfio-pci: its MTU is the guest's business"
run vfnet vf "$PFIF" 1 driver default

step "traffic counters: vfnet vf PF 0 shows them, list --stats --json carries them (igb keeps none: all zero, and vfnet says so)"
run vfnet vf "$PFIF" 0
expect_rc 0
expect_out_re "  stats     (rx [0-9]+ packets|all zero: no traffic counted, or the PF's driver keeps no per-VF counters)"
run vfnet list --stats --json
expect_rc 0
expect_json_re vfs.0.settings.stats.rx_packets '^[0-9]+$'
expect_json_re vfs.0.settings.stats.tx_dropped '^[0-9]+$'
run vfnet list --json
expect_out '"stats":null'
expect_no_out '"rx_packets"'

step "eswitch: igb has no devlink eswitch; set --eswitch switchdev is refused in one line and changes nothing"
run vfnet set "$PFIF" 2 --eswitch switchdev
expect_rc 1
expect_err "eswitch switchdev: its driver igb has no devlink eswitch"
expect_err_lines 1
expect_eq "sriov_numvfs after the refusal" "$(numvfs)" 2
run vfnet list --json
expect_rc 0
expect_out '"eswitch":null'
expect_no_out '"eswitch":"'
expect_out '"representor":null'
expect_no_out '"representor":"'

step "eswitch: an ADDR.eswitch line igb cannot take fails alone at apply; the count and the VF settings still apply"
run vfnet set "$PFIF" 0
CONF=/tmp/eswitch.conf
printf '%s=2\n%s.eswitch=switchdev\n%s.vf1.vlan=9\n' "$PF_PCI" "$PF_PCI" "$PF_PCI" > "$CONF"
run vfnet --config "$CONF" apply --json
expect_rc 1
expect_err "$CONF:2: $PFIF ($PF_PCI): eswitch switchdev: its driver igb has no devlink eswitch"
expect_eq "sriov_numvfs after apply" "$(numvfs)" 2
# The mode is tried first (drivers take it with no VFs), then the count;
# the document lists them in file order.
expect_json entries.0.kind '"count"'
expect_json entries.0.status '"changed"'
expect_json entries.1.kind '"eswitch"'
expect_json entries.1.status '"failed"'
run vfnet list --json
expect_json vfs.1.settings.vlan 9
