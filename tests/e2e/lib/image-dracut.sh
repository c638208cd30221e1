# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-dracut.sh: an initrd made by Debian's dracut, inside a chroot where
# the NIC is not visible, with vfnet's module (scenario 20).
#
# A cached Debian root with dracut (instead of initramfs-tools) and systemd;
# vfnet installed with `vfnet --root ROOT install --init dracut --driver
# igb,igbvf` (the module 90vfnet, /etc/dracut.conf.d/vfnet.conf and the
# recorded drivers) and a config asking for 3 VFs; then `dracut -f` run in
# the root (chroot, private mount namespace, an empty /sys: no PCI device
# at all). Host-only, so the image holds only what the root disk needs plus
# what modules add: igb and igbvf are in it only through vfnet's module.
# Cached like the initramfs-tools initrd. Boots with init=/e2e/first-init.

DEBROOT_DRACUT_PKGS="systemd-sysv udev kmod linux-base dracut e2fsprogs"

image_dracut() {
  debroot dracut "$DEBROOT_DRACUT_PKGS"
  realroot_tree dracut dracut --driver igb,igbvf
  local r=$REALROOT key cached t0 f
  # the runner removes /etc/vfnet before each scenario: a copy for 20 to check
  cp "$r/etc/vfnet/drivers" "$r/e2e/host/drivers" 2> /dev/null || true
  install -m 0755 "$E2E_DIR/guest/realroot-first-init" "$r/e2e/first-init"
  mkdir -p "$r/etc/dracut.conf.d"
  cat > "$r/etc/dracut.conf.d/e2e.conf" << 'CONF'
# e2e: a small host-only image for a virtio disk; the root is on the
# command line (root=/dev/vda), not detected in the chroot.
hostonly="yes"
hostonly_cmdline="no"
add_drivers+=" virtio_pci virtio_blk ext4 "
compress="gzip"
CONF

  key=$({
    echo "$DEBROOT"
    for f in usr/local/sbin/vfnet etc/vfnet/vfnet.conf etc/vfnet/drivers etc/dracut.conf.d/e2e.conf; do sha256sum < "$r/$f"; done
    find "$r/usr/lib/dracut/modules.d/90vfnet" "$r/etc/dracut.conf.d" -type f | LC_ALL=C sort | xargs cat | sha256sum
  } | sha256sum | cut -c1-16)
  cached=$CACHE/initrd/dracut-$key
  if [ -f "$cached/initrd.img" ]; then
    cp "$cached/initrd.img" "$r/boot/initrd.img-$KVER"
    cp "$cached/dracut.out" "$r/e2e/host/dracut.out"
    log "image dracut: cached initrd $cached"
  else
    t0=$(now)
    in_root "$r" dracut -f "/boot/initrd.img-$KVER" "$KVER" > "$r/e2e/host/dracut.out" 2>&1 ||
      die "dracut -f in the root failed: $(tail -n 30 "$r/e2e/host/dracut.out")"
    log "image dracut: dracut -f in the root (no PCI devices visible) took $(secs_since "$t0")s"
    rm -rf "$cached.tmp"
    mkdir -p "$cached.tmp"
    cp "$r/boot/initrd.img-$KVER" "$cached.tmp/initrd.img"
    cp "$r/e2e/host/dracut.out" "$cached.tmp/dracut.out"
    rm -rf "$cached"
    mv "$cached.tmp" "$cached"
    # shellcheck disable=SC2012  # our own directory names
    ls -1dt "$CACHE"/initrd/dracut-* | tail -n +5 | xargs -r rm -rf
  fi
  in_root "$r" lsinitrd "/boot/initrd.img-$KVER" > "$r/e2e/host/initrd.list" 2>&1 || true
  realroot_boot dracut "$r/boot/initrd.img-$KVER" "init=/e2e/first-init"
}
