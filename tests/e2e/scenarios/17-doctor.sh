# e2e-scenario: vfnet doctor in the guest: IOMMU with groups, vfio-pci, the igb PF SR-IOV capable with igb bound, VFs in groups of their own; config drift and an unbound PF driver are reported with exit 1
# e2e-image: iproute2
#
# On the iproute2 image only to share the boot of scenarios 15-16 (doctor
# needs nothing of it).  This guest has no boot service (no systemd, OpenRC,
# initramfs generator...), so with a config present the `boot` finding fails:
# that is true here, and asserted.  Reports the exit status and the failed
# findings of each run as INFO lines.

setup "no VFs" given_vfs 0
PFIF=$(pf_if)
CONF=/etc/vfnet/vfnet.conf
NGROUPS=$(ls /sys/kernel/iommu_groups | wc -l)

# finding CHECK FIELD: FIELD (ok, pci, interface, message, fix) of the first finding
# of CHECK in the last `vfnet doctor --json`; prints nothing when none.
finding() {
  json_flat | awk -v c="\"$1\"" -v f="$2" '
    { e = index($0, "="); k = substr($0, 1, e - 1); v = substr($0, e + 1) }
    k ~ /^findings\.[0-9]+\.check$/ && v == c && idx == "" { split(k, p, "."); idx = p[2] }
    { all[k] = v }
    END { if (idx != "") print all["findings." idx "." f] }'
}

# expect_finding CHECK OK MESSAGE-ERE: the finding exists, its ok is OK
# (true/false) and its message matches MESSAGE-ERE.
expect_finding() {
  local ok msg
  ok=$(finding "$1" ok)
  if [ -z "$ok" ]; then
    fail "doctor reported no '$1' finding"
    return
  fi
  [ "$ok" = "$2" ] || fail "finding '$1': ok is $ok, expected $2 ($(finding "$1" message))"
  msg=$(finding "$1" message)
  printf '%s\n' "$msg" | grep -qE -- "$3" || fail "finding '$1': message $msg does not match /$3/"
}

# failed_findings: the checks that failed in the last doctor --json, with
# their messages, for the INFO line.
failed_findings() {
  json_flat | awk '
    { e = index($0, "="); k = substr($0, 1, e - 1); v = substr($0, e + 1)
      split(k, p, "."); if (p[1] != "findings") next
      if (p[3] == "check") c[p[2]] = v; if (p[3] == "ok") ok[p[2]] = v; if (p[3] == "message") m[p[2]] = v
      if (p[2] + 1 > n) n = p[2] + 1 }
    END { for (i = 0; i < n; i++) if (ok[i] == "false") { gsub(/"/, "", c[i]); printf "%s%s: %s", (out++ ? "; " : ""), c[i], m[i] } }'
}

# doctor_info WHAT: the exit status and the failed findings, as an INFO line.
doctor_info() { info "$1: doctor exit $RC; failed: $(failed_findings | grep . || echo none)"; }

step "doctor with no VFs and no config: exit 0; iommu ok ($NGROUPS groups), vfio-pci loaded, firmware up to 7 VFs, driver igb bound"
run vfnet doctor
expect_rc 0
expect_no_out "FAIL"
expect_out_re "^ok +iommu +IOMMU on: $NGROUPS groups"
run vfnet doctor --json
expect_rc 0
expect_json ok true
expect_finding iommu true "^\"IOMMU on: $NGROUPS groups, [1-9][0-9]* units? in /sys/class/iommu \\(.*intel_iommu=on.*\\)\"\$"
expect_finding vfio-pci true "vfio-pci is loaded"
check "vfio-pci is loaded (sysfs)" test -d /sys/bus/pci/drivers/vfio-pci
expect_finding firmware true "SR-IOV capable: up to $(totalvfs) VFs"
expect_eq "firmware finding's pci" "$(finding firmware pci)" "\"$PF_PCI\""
expect_eq "firmware finding's interface" "$(finding firmware interface)" "\"$PFIF\""
expect_finding driver true "driver igb bound"
expect_eq "resources finding (no BAR trouble in this guest's kernel log)" "$(finding resources ok)" ""
expect_eq "config finding (no config)" "$(finding config ok)" ""
expect_eq "boot finding (no config)" "$(finding boot ok)" ""
doctor_info "no VFs, no config"

setup "2 VFs" given_vfs 2

step "doctor with 2 VFs: each in an IOMMU group of its own (the groups in sysfs hold one device each)"
for i in 0 1; do
  g=$(group_of "$(vf_dir $i)")
  expect_eq "devices in VF $i's group $g (sysfs)" "$(ls "/sys/kernel/iommu_groups/$g/devices")" "$(vf_pci $i)"
done
run vfnet doctor "$PFIF" --json
expect_rc 0
expect_json ok true
expect_finding iommu-group true "each of its 2 VFs in an IOMMU group of its own"
doctor_info "2 VFs, no config"
run vfnet doctor
expect_rc 0
expect_out "ok   iommu-group $PFIF ($PF_PCI): each of its 2 VFs in an IOMMU group of its own"

step "a config asking for the live 2 VFs: config ok; boot fails (no boot service in this guest): exit 1"
mkdir -p /etc/vfnet
printf '%s=2\n' "$PF_PCI" > "$CONF"
run vfnet doctor --json
expect_rc 1
expect_json ok false
expect_finding config true "2 VFs as configured"
expect_finding boot false "nothing applies the config at boot"
expect_eq "boot finding's fix" "$(finding boot fix)" '"vfnet install (see vfnet install -h)"'
expect_eq "failed findings" "$(failed_findings)" 'boot: "nothing applies the config at boot"'
expect_err "1 problem found"
doctor_info "2 VFs, config 2"

step "config drift: the config asks for 4, the PF has 2: config fails naming the file, the line and both counts; exit 1"
printf '# e2e: drift\n%s=4\n' "$PF_PCI" > "$CONF"
run vfnet doctor --json
expect_rc 1
expect_finding config false "^\"$CONF:2 asks for 4 VFs, the PF has 2\"\$"
expect_eq "config finding's pci" "$(finding config pci)" "\"$PF_PCI\""
expect_eq "config finding's interface" "$(finding config interface)" "\"$PFIF\""
expect_eq "config finding's fix" "$(finding config fix)" '"vfnet apply (or vfnet persist to record what it has now)"'
expect_finding driver true "driver igb bound"
expect_err "2 problems found"
run vfnet doctor
expect_rc 1
expect_out_re "^FAIL config +$PFIF \\($PF_PCI\\): $CONF:2 asks for 4 VFs, the PF has 2\$"
expect_out_re "^ +fix: vfnet apply"
note "$(out)"
run vfnet doctor --json
doctor_info "drift: config 4, PF has 2"
check "doctor changed nothing: still 2 VFs" vfs_ready 2

unbind_pf() { echo "$PF_PCI" > /sys/bus/pci/drivers/igb/unbind && wait_until 20 sh -c "[ ! -e $PF_DIR/driver ]"; }
setup "PF driver unbound (igb removes the VFs)" unbind_pf

step "PF driver unbound: doctor $PF_PCI reports the driver finding (no driver bound) and the PF's 0 VFs against the config; exit 1"
run vfnet doctor "$PF_PCI" --json
expect_rc 1
expect_finding driver false "^\"no driver bound: the kernel creates VFs only through the PF's driver\"\$"
expect_eq "driver finding's pci (no netdev now: no interface)" "$(finding driver pci)" "\"$PF_PCI\""
expect_eq "driver finding's interface" "$(finding driver interface)" "null"
expect_eq "driver finding's fix" "$(finding driver fix)" "\"load the device's driver (modprobe), or check why it did not bind (dmesg)\""
expect_finding firmware true "SR-IOV capable: up to $(totalvfs) VFs"
expect_finding config false "asks for 4 VFs, the PF has 0"
doctor_info "PF unbound"
run vfnet doctor
expect_rc 1
expect_out_re "^FAIL driver +$PF_PCI: no driver bound"
note "$(out)"

setup "igb bound to the PF again" given_pf_bound

step "igb bound again: the driver finding is ok again"
run vfnet doctor --json
expect_rc 1
expect_finding driver true "driver igb bound"
expect_finding config false "asks for 4 VFs, the PF has 0"
rm -f "$CONF"
run vfnet doctor --json
expect_rc 0
expect_json ok true
doctor_info "PF rebound, no config"
