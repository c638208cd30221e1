# e2e-scenario: the deadline governs waiting, not finishing: set 3 -> 5 --timeout 1 ends with 5 VFs, or says exactly how many exist

PFIF=$(pf_if)

setup "3 VFs" given_vfs 3
step "vfnet set PF 5 --timeout 1 from 3 VFs (removal alone takes longer under TCG): 5 VFs written, never left at 0"
run vfnet set "$PFIF" 5 --timeout 1
case "$RC" in
  0) note "vfnet finished within its deadline" ;;
  1)
    expect_err "5 was written to sriov_numvfs (it reads 5)"
    expect_err_re "the kernel shows [0-5] of 5 VFs, [0-5] with a driver"
    ;;
  *) fail "exit status $RC, expected 0, or 1 with the state" ;;
esac
expect_eq "sriov_numvfs right after vfnet returns" "$(numvfs)" 5
check "5 VFs with netdevs once the drivers bind" wait_until 30 vfs_ready 5

step "--timeout 0 is a usage error and changes nothing"
run vfnet set "$PFIF" 2 --timeout 0
expect_rc 2
expect_err "--timeout takes seconds (more than 0"
expect_eq "the VF count is untouched" "$(numvfs)" 5
