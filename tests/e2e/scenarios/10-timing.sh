# e2e-scenario: time vfnet set PF 7 against a raw sriov_numvfs write and a shell wait loop, in the same guest
#
# Prints `E2E: TIME set7 vfnet=...s shell=...s ratio=...` (vfnet / shell; the
# best of E2E_TIME_ROUNDS rounds, default 2).  The step fails only when
# vfnet is more than E2E_MAX_RATIO (default 3) times slower than the loop.

ROUNDS=${E2E_TIME_ROUNDS:-2}
MAX_RATIO=${E2E_MAX_RATIO:-3}
PFIF=$(pf_if)

# min A B: the smaller of two decimals ("" counts as infinity).
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

best_vfnet=
best_shell=
r=1
while [ "$r" -le "$ROUNDS" ]; do
  setup "no VFs" given_vfs 0
  step "round $r: vfnet set PF 7 returns with 7 VFs ready"
  t0=$(now)
  timeout "$E2E_CMD_TIMEOUT" vfnet set "$PFIF" 7 > "$E2E_TMP/last.out" 2> "$E2E_TMP/last.err"
  RC=$?
  t=$(elapsed "$t0")
  note "vfnet set $PFIF 7: exit $RC in ${t}s"
  note "$(cat "$E2E_TMP/last.out" "$E2E_TMP/last.err")"
  expect_rc 0
  check "7 VFs with netdevs when set returns" vfs_ready 7
  [ "$RC" != 0 ] || best_vfnet=$(min "$best_vfnet" "$t")

  setup "no VFs" given_vfs 0
  step "round $r: shell: echo 7 > sriov_numvfs, then poll until 7 VF netdevs exist"
  t0=$(now)
  echo 7 > "$PF_DIR/sriov_numvfs"
  i=0
  while [ "$(ls -d "$PF_DIR"/virtfn*/net/* 2> /dev/null | wc -l)" -lt 7 ] && [ $i -lt 3000 ]; do
    sleep 0.02
    i=$((i + 1))
  done
  t=$(elapsed "$t0")
  note "shell: 7 VFs in ${t}s"
  check "7 VFs with netdevs" vfs_ready 7
  best_shell=$(min "$best_shell" "$t")
  r=$((r + 1))
done

step "vfnet set PF 7 is at most ${MAX_RATIO}x the shell loop"
if [ -n "$best_vfnet" ] && [ -n "$best_shell" ]; then
  ratio=$(awk -v a="$best_vfnet" -v b="$best_shell" 'BEGIN { printf "%.2f", a / b }')
  report_time "set7 vfnet=${best_vfnet}s shell=${best_shell}s ratio=${ratio} (vfnet/shell, best of $ROUNDS)"
  check "ratio $ratio <= $MAX_RATIO" awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN { exit !(r <= m) }'
else
  fail "no successful vfnet set 7 to time"
fi

setup "no VFs" given_vfs 0
