# e2e-scenario: vfnet metrics on the real igb: PF counts, VF info with its user, settings as labels, the driver's traffic counters (igb keeps none: zeros); the text goes to the host, where Prometheus's own parser reads it (run.sh, "metrics" lines)
# e2e-image: iproute2

PFIF=$(pf_if)

setup "2 VFs" given_vfs 2
VF0IF=$(vf_if 0)

step "VF 0 in a namespace with an address, sending; VF 1 with a VLAN"
unshare -n sleep 600 &
NS=$!
sleep 0.5
run "$IPROUTE2" link set "$VF0IF" netns "$NS"
expect_rc 0
nsenter -t "$NS" -n "$IPROUTE2" addr add 192.0.2.2/24 dev "$VF0IF"
nsenter -t "$NS" -n "$IPROUTE2" link set "$VF0IF" up
run vfnet vf "$PFIF" 1 vlan 29
expect_rc 0
run vfnet metrics
expect_rc 0
cp "$E2E_TMP/last.out" "$E2E_TMP/before.prom"
# Broadcast ARP requests: the VF's driver counts them as sent.
nsenter -t "$NS" -n ping -c 3 -W 1 192.0.2.1 > /dev/null 2>&1

step "vfnet metrics: the PF's counts, each VF's info with its user, VF 1's VLAN, VF 0's counters"
run vfnet metrics
expect_rc 0
cp "$E2E_TMP/last.out" "$E2E_TMP/igb.prom"
expect_out "vfnet_pf_vfs{pf=\"$PF_PCI\",interface=\"$PFIF\"} 2"
expect_out "vfnet_pf_total_vfs{pf=\"$PF_PCI\",interface=\"$PFIF\"} 7"
expect_out "vfnet_vf_info{pf=\"$PF_PCI\",vf=\"0\",pci=\"$(vf_pci 0)\",interface=\"\",driver=\"igbvf\",used_by=\"netns:pid $NS\"} 1"
expect_out "vfnet_vf_in_use{pf=\"$PF_PCI\",vf=\"0\",pci=\"$(vf_pci 0)\"} 1"
expect_out "vfnet_vf_in_use{pf=\"$PF_PCI\",vf=\"1\",pci=\"$(vf_pci 1)\"} 0"
expect_out_re "vfnet_vf_settings_info\\{pf=\"$PF_PCI\",vf=\"1\",[^}]*vlan=\"29\""
tx() { sed -n "s/^vfnet_vf_tx_packets_total{pf=\"$PF_PCI\",vf=\"0\",[^}]*} //p" "$1"; }
note "VF 0 tx_packets: before $(tx "$E2E_TMP/before.prom"), after $(tx "$E2E_TMP/igb.prom")"
# igb keeps no per-VF counters (the kernel then reports zeros, and cannot
# say so): seen here as 0 after VF 0 sent its ARP requests. The series are
# there either way; a driver that counts (mlx5, i40e, ice) fills them.
check "VF 0's tx_packets series is there" test -n "$(tx "$E2E_TMP/igb.prom")"
report_note "metrics VF 0 tx_packets on igb: before $(tx "$E2E_TMP/before.prom"), after 3 ARP requests $(tx "$E2E_TMP/igb.prom")"
check "the text goes to the host" export_file igb.prom "$E2E_TMP/igb.prom"

step "vfnet metrics --textfile DIR writes DIR/vfnet.prom and nothing else"
mkdir -p "$E2E_TMP/textfile"
run vfnet metrics --textfile "$E2E_TMP/textfile"
expect_rc 0
expect_out_empty
expect_eq "the directory" "$(ls "$E2E_TMP/textfile")" vfnet.prom
check "it holds the PF's count" grep -qF "vfnet_pf_vfs{pf=\"$PF_PCI\",interface=\"$PFIF\"} 2" "$E2E_TMP/textfile/vfnet.prom"

kill "$NS" 2> /dev/null
wait 2> /dev/null
run vfnet vf "$PFIF" 1 vlan 0
setup "no VFs" given_vfs 0
