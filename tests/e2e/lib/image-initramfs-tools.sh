# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-initramfs-tools.sh: an initrd made by Debian's own mkinitramfs with
# vfnet's hook (scenario 12).
#
# The cached Debian root of the systemd image (lib/debroot.sh), copied; vfnet
# installed with `vfnet --root ROOT install --init initramfs-tools` (the hook
# and the init-premount script in /etc/initramfs-tools) and a config asking
# for 3 VFs; then what that install prints as not run under --root,
# `update-initramfs -u`, run in the root (chroot, private mount namespace):
# Debian's mkinitramfs with vfnet's hook.  The initrd is cached in
# $CACHE/initrd/, keyed by the root, the vfnet binary and every file the
# hook reads, so a rerun with the same vfnet makes none.  The root boots with
# init=/e2e/first-init: the first process of the real root records the VF
# state before anything else of the real root runs.
#
# The root's MODULES=list names only the disk's drivers, and the chroot on
# the build host shows no NIC: igb and igbvf get in because install recorded
# them (`install --driver igb,igbvf`, /etc/vfnet/drivers) and the hook adds
# what is recorded.

image_initramfs_tools() {
  debroot systemd "$DEBROOT_SYSTEMD_PKGS"
  # The chroot shows no NIC: the drivers come from what install records
  # (--driver), which the hook reads from /etc/vfnet/drivers.
  realroot_tree initramfs-tools initramfs-tools --driver igb,igbvf
  local r=$REALROOT key cached t0 f
  install -m 0755 "$E2E_DIR/guest/realroot-first-init" "$r/e2e/first-init"

  key=$({
    echo "$DEBROOT"
    for f in usr/local/sbin/vfnet etc/vfnet/vfnet.conf etc/vfnet/drivers etc/initramfs-tools/modules; do sha256sum < "$r/$f"; done
    find "$r/etc/initramfs-tools" -type f | LC_ALL=C sort | xargs cat | sha256sum
  } | sha256sum | cut -c1-16)
  cached=$CACHE/initrd/initramfs-tools-$key
  if [ -f "$cached/initrd.img" ]; then
    cp "$cached/initrd.img" "$r/boot/initrd.img-$KVER"
    log "image initramfs-tools: cached initrd $cached"
  else
    t0=$(now)
    in_root "$r" update-initramfs -u -k "$KVER" > "$r/e2e/host/update-initramfs.out" 2>&1 ||
      die "update-initramfs -u in the root failed: $(cat "$r/e2e/host/update-initramfs.out")"
    log "image initramfs-tools: update-initramfs -u -k $KVER in the root took $(secs_since "$t0")s"
    rm -rf "$cached.tmp"
    mkdir -p "$cached.tmp"
    cp "$r/boot/initrd.img-$KVER" "$cached.tmp/initrd.img"
    rm -rf "$cached"
    mv "$cached.tmp" "$cached"
    # keep the 4 newest (one per vfnet binary tried on this machine)
    # shellcheck disable=SC2012  # our own directory names
    ls -1dt "$CACHE"/initrd/initramfs-tools-* | tail -n +5 | xargs -r rm -rf
  fi
  # what is in it, for the scenario to check
  in_root "$r" lsinitramfs "/boot/initrd.img-$KVER" > "$r/e2e/host/initrd.list" 2>&1 || true
  realroot_boot initramfs-tools "$r/boot/initrd.img-$KVER" "init=/e2e/first-init"
}
