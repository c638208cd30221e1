# e2e-scenario: NetworkManager: vfnet's drop-in adds the VFs to the host's unmanaged devices (its own entry stays); uninstall keeps the binary another glue needs; the initramfs hook says so when vfnet is missing
# e2e-image: nm
# e2e-boot: fresh
#
# The image (lib/image-nm.sh) is a Debian bookworm root with systemd and
# NetworkManager, vfnet installed for systemd (with --unmanaged-vfs) and
# for initramfs-tools, and a host conf.d file of its own leaving
# e2edummy unmanaged. Runs from e2e-check.service once the boot is done.

H=/e2e/host
BIN=/usr/local/sbin/vfnet

# nm_state DEV: NetworkManager's state of DEV (nmcli), empty if unknown.
nm_state() { nmcli -t -f DEVICE,STATE device 2>/dev/null | sed -n "s/^$1:\(.*\)/\1/p"; }
# nm_settled DEV STATE: NetworkManager reports DEV in STATE within 15 s.
nm_settled() {
  local i=0
  while [ "$i" -lt 30 ]; do
    [ "$(nm_state "$1")" = "$2" ] && return 0
    sleep 0.5
    i=$((i + 1))
  done
  return 1
}

step "vfnet install wrote NetworkManager's drop-in next to the host's own, with += (adding to the host's list)"
note "$(cat "$H/install.out" 2>&1)"
expect_eq "vfnet install --init systemd exit status" "$(cat "$H/install.rc" 2>&1)" 0
expect_eq "vfnet install --init initramfs-tools exit status" "$(cat "$H/install-initramfs.rc" 2>&1)" 0
check "the host's 10-e2e-host.conf is untouched" grep -qx 'unmanaged-devices=interface-name:e2edummy' /etc/NetworkManager/conf.d/10-e2e-host.conf
check "vfnet's drop-in appends the VF driver" grep -qx 'unmanaged-devices+=driver:igbvf' /etc/NetworkManager/conf.d/90-vfnet-unmanaged-vfs.conf

step "NetworkManager's merged configuration keeps the host's unmanaged device and adds the VFs'"
run NetworkManager --print-config
expect_rc 0
note "$(grep -i unmanaged "$E2E_TMP/last.out")"
check "one merged unmanaged-devices with both entries" sh -c "grep -i '^unmanaged-devices=' '$E2E_TMP/last.out' | grep -q 'interface-name:e2edummy' && grep -i '^unmanaged-devices=' '$E2E_TMP/last.out' | grep -q 'driver:igbvf'"

step "at run time: the VFs and the host's own device are unmanaged, the PF is NetworkManager's"
check "NetworkManager is running" systemctl is-active --quiet NetworkManager
check "vfnet.service made 3 VFs" vfs_ready 3
run ip link add e2edummy type dummy
expect_rc 0
check "e2edummy (the host's) unmanaged" nm_settled e2edummy unmanaged
for i in 0 1 2; do
  ifn=$(vf_if "$i")
  check "VF $i ($ifn) unmanaged" nm_settled "$ifn" unmanaged
done
PFIF=$(pf_if)
pst=$(nm_state "$PFIF")
note "nmcli: $(nmcli -t -f DEVICE,DRIVER,STATE device 2>&1 | tr '\n' ' ')"
check "the PF ($PFIF: $pst) is managed" test -n "$pst" -a "$pst" != unmanaged
ip link del e2edummy 2> /dev/null || true

step "the initramfs hook, with vfnet missing, says so at image build time (and the image still builds)"
# The runner removed /etc/vfnet before the scenario: a config to build for.
mkdir -p /etc/vfnet
echo "$PF_PCI=3" > /etc/vfnet/vfnet.conf
mv "$BIN" /root/vfnet.moved
run update-initramfs -u -k "$(uname -r)"
mv /root/vfnet.moved "$BIN"
expect_rc 0
expect_err "W: vfnet: /usr/local/sbin/vfnet is missing: this initramfs will not create the SR-IOV VFs"

step "uninstall --init systemd keeps the binary the initramfs glue still uses; uninstalling that glue too removes it"
run vfnet uninstall --init systemd
expect_rc 0
note "$(out)"
check "vfnet.service is gone" test ! -e /etc/systemd/system/vfnet.service
check "NetworkManager's drop-in is gone, the host's stays" sh -c "test ! -e /etc/NetworkManager/conf.d/90-vfnet-unmanaged-vfs.conf && test -e /etc/NetworkManager/conf.d/10-e2e-host.conf"
check "$BIN is still there (the initramfs hook needs it)" test -x "$BIN"
check "the initramfs hook is still there" test -e /etc/initramfs-tools/hooks/vfnet
run "$BIN" uninstall --init initramfs-tools
expect_rc 0
note "$(out)"
check "the hook is gone" test ! -e /etc/initramfs-tools/hooks/vfnet
check "$BIN is gone with the last glue that used it" test ! -e "$BIN"
