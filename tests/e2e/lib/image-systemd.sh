# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-systemd.sh: a Debian root with systemd as PID 1 (scenario 13).
#
# The cached Debian root (lib/debroot.sh: bookworm minbase + systemd-sysv,
# udev, kmod, initramfs-tools, e2fsprogs and the suite's kernel) copied, then
# vfnet installed with `vfnet --root ROOT install --init systemd` (vfnet.service
# and its enable link; no initramfs glue, so the service makes the VFs) and a
# config asking for 3 VFs.  systemd-networkd is enabled (`systemctl enable` in
# the root): a network manager that starts after network-pre.target, as
# NetworkManager and ifupdown's networking.service do.  guest/e2e-check.service
# runs the scenarios once the boot is done and powers off.  The initrd is the
# one the kernel's postinst made with Debian's update-initramfs when the root
# was built (no vfnet in it); the root is an ext4 image made each run.

DEBROOT_SYSTEMD_PKGS="systemd-sysv udev kmod initramfs-tools e2fsprogs"

image_systemd() {
  debroot systemd "$DEBROOT_SYSTEMD_PKGS"
  # --unmanaged-vfs: networkd must leave the VFs alone; the chroot shows no
  # NIC, so the VF driver is named (--driver igbvf).
  realroot_tree systemd systemd --unmanaged-vfs --driver igbvf
  local r=$REALROOT
  # A catch-all network for networkd, as many hosts have: every en*/eth*
  # link with DHCP. The VFs must still be left alone.
  mkdir -p "$r/etc/systemd/network"
  printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' > "$r/etc/systemd/network/80-e2e-dhcp.network"
  e2e_check_unit "$r"
  in_root "$r" systemctl enable systemd-networkd.service > "$r/e2e/host/networkd-enable.out" 2>&1 ||
    die "systemctl enable systemd-networkd in the root failed: $(cat "$r/e2e/host/networkd-enable.out")"
  realroot_boot systemd "$DEBROOT/boot/initrd.img-$KVER"
}
