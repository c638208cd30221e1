# e2e-scenario: SIGTERM, SIGINT or SIGHUP between the two writes of set 3 -> 5 is held until 5 is written: never a PF left at 0 VFs

PFIF=$(pf_if)

# blocked PID: the process has the stop signals blocked (SigBlk in
# /proc/PID/status has SIGHUP, SIGINT and SIGTERM: 0x4003): vfnet is
# inside its window between writing 0 and writing N.
blocked() {
  local mask
  mask=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$mask" ] || return 1
  [ $((0x$mask & 0x4003)) = $((0x4003)) ]
}

# interrupt SIG: runs vfnet set PF 5 from 3 VFs, sends SIG once vfnet is in
# its window, and prints vfnet's output and exit status.
interrupt() {
  vfnet set "$PFIF" 5 > "$E2E_TMP/sig.out" 2> "$E2E_TMP/sig.err" &
  pid=$!
  wait_until 30 blocked "$pid" || { kill -9 "$pid"; return 1; }
  kill -"$1" "$pid"
  wait "$pid"
  rc=$?
  cat "$E2E_TMP/sig.out"
  cat "$E2E_TMP/sig.err" >&2
  return "$rc"
}

for sig in TERM INT HUP; do
  case $sig in
    TERM) code=143 ;;
    INT) code=130 ;;
    HUP) code=129 ;;
  esac
  setup "3 VFs" given_vfs 3
  step "SIG$sig while vfnet set PF 5 runs from 3 VFs: 5 VFs in the end, exit $code, and vfnet says so"
  run interrupt "$sig"
  expect_rc "$code"
  expect_err "stopped by SIG$sig: the change was finished first: it has 5 VFs now"
  check "5 VFs with netdevs once the drivers bind" wait_until 30 vfs_ready 5
  check "the kernel logged 'IOV Disabled' before '5 VFs allocated'" \
    dmesg_order "IOV Disabled" "5 VFs allocated"
done

setup "3 VFs" given_vfs 3
step "outside the window, SIGTERM stops vfnet at once: apply --wait waiting for a PF that is not there"
printf '0000:09:00.0=2\n' > "$E2E_TMP/absent.conf"
chmod 644 "$E2E_TMP/absent.conf"
run sh -c '
  vfnet --config '"$E2E_TMP/absent.conf"' apply --wait 60 & pid=$!
  sleep 1
  t0=$(e2e-helper now)
  kill -TERM $pid
  wait $pid; rc=$?
  echo "exit $rc after $(awk -v a="$t0" -v b="$(e2e-helper now)" "BEGIN { printf \"%.2f\", b - a }") s"
'
expect_out "exit 143 after 0."
expect_eq "the VF count is untouched" "$(numvfs)" 3
