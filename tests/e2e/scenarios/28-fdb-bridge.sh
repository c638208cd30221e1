# e2e-scenario: bridge FDB sync on the real igb: the PF in a bridge with a veth into a namespace (a bridge VM), a VF in another namespace; vfnet fdb adds the VM's MAC to the PF's own table, --watch follows a MAC that comes and one that goes, apply's fdb_sync does it once, and whether a ping from the VF reaches the VM is recorded
# e2e-image: iproute2

PFIF=$(pf_if)
BRIDGE=/usr/sbin/bridge

# self_has DEV MAC: DEV's own table (bridge fdb show ... self) holds MAC.
self_has() { "$BRIDGE" fdb show dev "$1" | grep -q "^$2 self"; }
self_lacks() { ! self_has "$@"; }

setup "2 VFs" given_vfs 2
VF0IF=$(vf_if 0)

step "a bridge br0 with the PF and a veth whose peer (the VM, 192.0.2.1) is in a namespace; VF 0 (192.0.2.2) in another namespace"
run "$IPROUTE2" link add br0 type bridge
expect_rc 0
run "$IPROUTE2" link set "$PFIF" master br0
expect_rc 0
run "$IPROUTE2" link add vm0p type veth peer name vm0
expect_rc 0
run "$IPROUTE2" link set vm0p master br0
expect_rc 0
for d in br0 "$PFIF" vm0p; do "$IPROUTE2" link set "$d" up; done
unshare -n sleep 600 &
NS_VM=$!
unshare -n sleep 600 &
NS_VF=$!
sleep 0.5
"$IPROUTE2" link set vm0 netns "$NS_VM"
"$IPROUTE2" link set "$VF0IF" netns "$NS_VF"
nsenter -t "$NS_VM" -n "$IPROUTE2" addr add 192.0.2.1/24 dev vm0
nsenter -t "$NS_VM" -n "$IPROUTE2" link set vm0 up
nsenter -t "$NS_VF" -n "$IPROUTE2" addr add 192.0.2.2/24 dev "$VF0IF"
nsenter -t "$NS_VF" -n "$IPROUTE2" link set "$VF0IF" up
# (sysfs shows the namespace of its mount, not this one: ip tells.)
VMMAC=$(nsenter -t "$NS_VM" -n "$IPROUTE2" -br link show vm0 | awk '{ print $3 }')
note "the VM's MAC: $VMMAC"
# The VM speaks (its ARP probe): the bridge learns its MAC on vm0p.
nsenter -t "$NS_VM" -n ping -c 1 -W 1 192.0.2.9 > /dev/null 2>&1
check "the bridge learned the VM's MAC $VMMAC on vm0p" wait_until 10 sh -c "$BRIDGE fdb show br br0 | grep -q '^$VMMAC dev vm0p'"
# Pinned there (static sticky: learning never moves it): QEMU's igb hands
# the PF a copy of what the PF sends to a VF (the PF is promiscuous as a
# bridge port), so the bridge relearns the VM's MAC on the PF's port as
# soon as the VM answers the VF; a plain static entry moves too (seen in
# this scenario's first runs: the entry went to eth0, and the ping after
# the sync then depended on timing).
run "$BRIDGE" fdb replace "$VMMAC" dev vm0p master static sticky
expect_rc 0
note "$("$BRIDGE" fdb show br br0)"

step "before the sync: a ping from the VF's namespace to the VM (evidence only)"
if nsenter -t "$NS_VF" -n ping -c 2 -W 2 192.0.2.1 > "$E2E_TMP/ping0.out" 2>&1; then BEFORE=ok; else BEFORE=lost; fi
note "ping before: $BEFORE: $(cat "$E2E_TMP/ping0.out")"

step "vfnet fdb --dry-run says it would add the VM's MAC and changes nothing"
run vfnet fdb --dry-run
expect_rc 0
expect_out "$PFIF ($PF_PCI) in br0: would add $VMMAC"
check "not in the PF's table yet" self_lacks "$PFIF" "$VMMAC"

step "vfnet fdb adds it to the PF's own table (bridge fdb shows it as self) and records it"
run vfnet fdb
expect_rc 0
expect_out "$PFIF ($PF_PCI) in br0: added $VMMAC"
check "bridge fdb show dev $PFIF: $VMMAC self" self_has "$PFIF" "$VMMAC"
check "/run/vfnet/fdb/$PF_PCI records it" grep -qx "$VMMAC" "/run/vfnet/fdb/$PF_PCI"
note "$("$BRIDGE" fdb show dev "$PFIF")"
run vfnet fdb
expect_rc 0
expect_out "in step (1 MAC behind the bridge)"

step "after the sync: a ping from the VF's namespace to the VM (evidence only)"
if nsenter -t "$NS_VF" -n ping -c 3 -W 2 192.0.2.1 > "$E2E_TMP/ping1.out" 2>&1; then AFTER=ok; else AFTER=lost; fi
note "ping after: $AFTER: $(cat "$E2E_TMP/ping1.out")"
note "$("$BRIDGE" fdb show br br0)"
# Evidence, not a check: QEMU's igb switches VF traffic to the PF only at
# times (README, "vfnet fdb": of six runs on 2026-12-02, the ping after the
# sync went through in two, and in none before it; in the others the VF's
# own frames never reached the bridge: its MAC is missing from the table
# printed above). The entries are what this scenario checks.
report_note "fdb ping VF->bridge VM: before sync $BEFORE, after sync $AFTER (QEMU igb)"

step "vfnet fdb --watch follows a MAC that comes (a static entry) and one that goes (the VM's veth removed)"
vfnet fdb --watch > "$E2E_TMP/watch.out" 2>&1 &
WATCH=$!
check "--watch started" wait_until 10 grep -q "fdb --watch: following 1 PF" "$E2E_TMP/watch.out"
"$BRIDGE" fdb add 02:aa:00:00:00:28 dev vm0p master static
check "--watch added 02:aa:00:00:00:28" wait_until 10 grep -q "$PFIF ($PF_PCI): added 02:aa:00:00:00:28" "$E2E_TMP/watch.out"
check "in the PF's table" self_has "$PFIF" 02:aa:00:00:00:28
"$IPROUTE2" link del vm0p
check "--watch removed the VM's MAC" wait_until 10 grep -q "$PFIF ($PF_PCI): removed $VMMAC" "$E2E_TMP/watch.out"
check "--watch removed 02:aa:00:00:00:28 (its port is gone)" wait_until 10 grep -q "removed 02:aa:00:00:00:28" "$E2E_TMP/watch.out"
check "the PF's table holds neither" sh -c "! $BRIDGE fdb show dev $PFIF | grep -qE '^($VMMAC|02:aa:00:00:00:28) self'"
kill "$WATCH" 2> /dev/null
wait "$WATCH" 2> /dev/null
note "$(cat "$E2E_TMP/watch.out")"

step "apply with KEY.fdb_sync=yes syncs once after the counts: a new tap's static MAC"
"$IPROUTE2" link add vm1p type veth peer name vm1
"$IPROUTE2" link set vm1p master br0
"$IPROUTE2" link set vm1p up
"$BRIDGE" fdb add 02:bb:00:00:00:28 dev vm1p master static
mkdir -p /etc/vfnet
printf '%s=2\n%s.fdb_sync=yes\n' "$PF_PCI" "$PFIF" > /etc/vfnet/vfnet.conf
run vfnet apply --dry-run
expect_rc 0
expect_out "$PFIF ($PF_PCI): fdb would sync with br0: add 02:bb:00:00:00:28"
run vfnet apply
expect_rc 0
expect_out "$PFIF ($PF_PCI): fdb synced with br0: add 02:bb:00:00:00:28"
check "in the PF's table" self_has "$PFIF" 02:bb:00:00:00:28
run vfnet apply --json
expect_rc 0
expect_json entries.1.kind '"fdb"'
expect_json entries.1.status '"unchanged"'

step "a PF no longer a bridge port gets back what vfnet added"
"$IPROUTE2" link set "$PFIF" nomaster
run vfnet fdb "$PFIF"
expect_rc 0
expect_out "removed 02:bb:00:00:00:28"
check "the PF's table no longer holds it" self_lacks "$PFIF" 02:bb:00:00:00:28

kill "$NS_VM" "$NS_VF" 2> /dev/null
wait 2> /dev/null
"$IPROUTE2" link del vm1p 2> /dev/null
"$IPROUTE2" link del br0 2> /dev/null
rm -rf /etc/vfnet /run/vfnet/fdb
setup "no VFs" given_vfs 0
