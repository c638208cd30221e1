# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-nm.sh: a Debian root with systemd and NetworkManager (scenario 27).
#
# The cached Debian root of image-systemd.sh plus network-manager and
# iproute2, with `vfnet --root ROOT install --init systemd --unmanaged-vfs
# --driver igbvf` and `install --init initramfs-tools` (two glues that use
# one binary, for uninstall) and a config asking for 3 VFs. The host has its
# own unmanaged device in NetworkManager's conf.d (interface-name:e2edummy,
# as Ubuntu ships a list of its own); NetworkManager is enabled, as its
# package leaves it.


image_nm() {
  # image-systemd.sh's packages (read when the image is built, after every
  # image file is sourced) and NetworkManager's.
  debroot nm "$DEBROOT_SYSTEMD_PKGS network-manager iproute2"
  realroot_tree nm systemd --unmanaged-vfs --driver igbvf
  local r=$REALROOT
  mkdir -p "$r/etc/NetworkManager/conf.d"
  printf '# the host'"'"'s own: NetworkManager leaves this one alone\n[keyfile]\nunmanaged-devices=interface-name:e2edummy\n' \
    > "$r/etc/NetworkManager/conf.d/10-e2e-host.conf"
  "$VFNET_BIN" --root "$r" install --init initramfs-tools --driver igbvf > "$r/e2e/host/install-initramfs.out" 2>&1
  echo $? > "$r/e2e/host/install-initramfs.rc"
  e2e_check_unit "$r"
  realroot_boot nm "$DEBROOT/boot/initrd.img-$KVER"
}
