# e2e-scenario: vfnet set PF 3 by PCI address; then bad inputs: exit codes, messages, nothing changed

setup "5 VFs" given_vfs 5
PFIF=$(pf_if)

step "vfnet set 0000:01:00.0 3 (by PCI address) makes 3 VFs"
run vfnet set "$PF_PCI" 3
expect_rc 0
check "3 VFs with netdevs and IOMMU groups when set returns" vfs_ready 3

# rejected RC ERE CMD...: CMD fails with exit status RC, says something
# matching ERE (case-insensitive) on stderr, prints nothing on stdout, and
# the VFs are exactly as before.  Usage errors (RC 2) are one line.
rejected() {
  local rc="$1" re="$2" before
  shift 2
  before=$(vfs_snapshot)
  run "$@"
  expect_rc "$rc"
  expect_err_re "$re"
  expect_out_empty
  [ "$rc" != 2 ] || expect_err_lines 1
  expect_eq "VFs (index, PCI, driver, netdev, ifindex)" "$(vfs_snapshot)" "$before"
}
VF1IF=$(vf_if 1)
VF1PCI=$(vf_pci 1)

step "N=abc is a usage error (exit 2)"
rejected 2 "abc" vfnet set "$PFIF" abc

step "N=-1 is a usage error (exit 2)"
rejected 2 "-1|negative" vfnet set "$PFIF" -1

step "N=3.5 is a usage error (exit 2)"
rejected 2 "3\.5" vfnet set "$PFIF" 3.5

step "missing N is a usage error (exit 2)"
rejected 2 "N" vfnet set "$PFIF"

step "missing DEV and N is a usage error (exit 2)"
rejected 2 "DEV" vfnet set

step "an extra argument is a usage error (exit 2)"
rejected 2 "4" vfnet set "$PFIF" 3 4

step "a malformed PCI address is a usage error (exit 2)"
rejected 2 "0000:01:00" vfnet set 0000:01:00 2

step "a VF's interface is refused (exit 1): it is a VF, not a PF"
rejected 1 "$VF1IF" vfnet set "$VF1IF" 2
expect_err_re "(\bVF\b|virtual function)"

step "a VF's PCI address is refused (exit 1)"
rejected 1 "$VF1PCI" vfnet set "$VF1PCI" 2

step "a missing interface is refused (exit 1)"
rejected 1 "eth99" vfnet set eth99 2

step "a missing PCI device is refused (exit 1)"
rejected 1 "0000:02:00.0" vfnet set 0000:02:00.0 2

step "after all that, still 3 VFs on igbvf"
check "3 VFs with netdevs" vfs_ready 3
check "all on igbvf" vfs_all_igbvf_or_none net
