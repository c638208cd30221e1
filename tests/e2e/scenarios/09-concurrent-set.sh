# e2e-scenario: two vfnet set on the same PF at once: both finish, the result is consistent, nothing half-done

PFIF=$(pf_if)

# race A B: runs `vfnet set PFIF A` and `vfnet set PF_PCI B` at the same
# time (one by name, one by address: the lock must be per device, not per
# spelling) and prints both exit statuses and outputs.
race() {
  timeout "$E2E_CMD_TIMEOUT" vfnet set "$PFIF" "$1" > /tmp/race-a.out 2>&1 &
  a=$!
  timeout "$E2E_CMD_TIMEOUT" vfnet set "$PF_PCI" "$2" > /tmp/race-b.out 2>&1 &
  b=$!
  wait $a
  ra=$?
  wait $b
  rb=$?
  echo "set $1 (by name) exit $ra:"
  sed 's/^/  /' /tmp/race-a.out
  echo "set $2 (by address) exit $rb:"
  sed 's/^/  /' /tmp/race-b.out
  [ "$ra" = 0 ] && [ "$rb" = 0 ]
}
# consistent A B START: the final count is A or B, every VF is ready on
# igbvf, and the kernel log shows the two calls one after the other: each
# allocation once, and a disable only where a call changed a nonzero count.
consistent() {
  local a="$1" b="$2" start="$3" final disables
  final=$(numvfs)
  note "final sriov_numvfs: $final"
  [ "$final" = "$a" ] || [ "$final" = "$b" ] || fail "final count $final is neither $a nor $b"
  check "$final VFs, all with netdevs" vfs_ready "$final"
  check "all VFs on igbvf" vfs_all_igbvf_or_none net
  expect_eq "'VFs allocated' in the kernel log" "$(dmesg_count "VFs allocated")" 2
  expect_eq "the last allocation is the final count" \
    "$(dmesg_new | grep "VFs allocated" | tail -n 1 | sed 's/.*: \([0-9]*\) VFs allocated.*/\1/')" "$final"
  # from 0: first call 0 -> X (no disable), second X -> Y (one disable);
  # from nonzero: both calls disable first
  disables=1
  [ "$start" = 0 ] || disables=2
  expect_eq "'IOV Disabled' in the kernel log" "$(dmesg_count "IOV Disabled")" "$disables"
}

setup "no VFs" given_vfs 0
step "from 0 VFs, vfnet set 2 and vfnet set 6 at once both succeed, one after the other"
run race 2 6
expect_rc 0
consistent 2 6 0

setup "3 VFs" given_vfs 3
step "from 3 VFs, vfnet set 5 and vfnet set 1 at once both succeed, one after the other"
run race 5 1
expect_rc 0
consistent 5 1 3
