# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-package.sh: the Debian package on a Debian 12 root (scenario 30).
#
# The package is built from the suite's vfnet with scripts/build-deb amd64
# and installed with `dpkg -i` into a copy of a cached Debian root (systemd,
# udev, kmod, initramfs-tools, and man-db and bash-completion to try the man
# page and the completion); its dpkg path-excludes for docs are dropped so
# that the man page is installed as on a host. Before anything is enabled,
# mkinitramfs in the root shows the package's initramfs-tools hook inert
# (the config has no entry); with an entry asking for 3 VFs it puts vfnet
# and the config in, and it gives way to a hook of the same name in /etc.
# Then `systemctl enable vfnet.service` in the root (what the README says):
# the boot makes the VFs with the package's own unit. Everything else (man, completion,
# systemd-analyze verify, dpkg -r and -P) the scenario does in the guest.

DEBROOT_PACKAGE_PKGS="systemd-sysv udev kmod initramfs-tools e2fsprogs man-db bash-completion"

image_package() {
  debroot package "$DEBROOT_PACKAGE_PKGS"
  local r=$BUILD/package-root h deb
  root_copy "$DEBROOT" "$r"
  h=$r/e2e/host
  mkdir -p "$h"
  deb=$(VFNET_DEB_BIN=$VFNET_BIN "$REPO/scripts/build-deb" amd64) || die "scripts/build-deb amd64 failed"
  log "package: ${deb##*/} ($(stat -c %s "$deb") bytes)"
  rm -f "$r/etc/dpkg/dpkg.cfg.d/e2e-nodoc"
  cp "$deb" "$r/root/vfnet.deb"
  local rc=0
  in_root "$r" dpkg -i /root/vfnet.deb > "$h/dpkg-i.out" 2>&1 || rc=$?
  echo "$rc" > "$h/dpkg-i.rc"
  dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\.||' > "$h/contents"
  # Installed, nothing enabled: the hook adds nothing to an image while
  # the config has no entry.
  rc=0
  in_root "$r" sh -c 'mkinitramfs -o /tmp/initrd.img "$1" && lsinitramfs /tmp/initrd.img' sh "$KVER" > "$h/inert-initrd.list" 2> "$h/inert-initrd.err" || rc=$?
  echo "$rc" > "$h/inert-initrd.rc"
  find "$r/etc/systemd/system" -name 'vfnet*' > "$h/enabled-before.list"
  # The config asks for 3 VFs: the hook now puts vfnet and the config in.
  printf '%s=%s\n' "$E2E_PF_PCI" "$E2E_BOOT_VFS" >> "$r/etc/vfnet/vfnet.conf"
  rc=0
  in_root "$r" sh -c 'mkinitramfs -o /tmp/initrd.img "$1" && lsinitramfs /tmp/initrd.img' sh "$KVER" > "$h/asked-initrd.list" 2> "$h/asked-initrd.err" || rc=$?
  echo "$rc" > "$h/asked-initrd.rc"
  # A hook vfnet install wrote in /etc: the package's gives way to it (the
  # stand-in adds nothing and says that it ran).
  mkdir -p "$r/etc/initramfs-tools/hooks"
  printf '#!/bin/sh\n[ "$1" = prereqs ] && exit 0\necho "W: the /etc hook ran" >&2\n' > "$r/etc/initramfs-tools/hooks/vfnet"
  chmod 0755 "$r/etc/initramfs-tools/hooks/vfnet"
  rc=0
  in_root "$r" sh -c 'mkinitramfs -o /tmp/initrd.img "$1" && lsinitramfs /tmp/initrd.img' sh "$KVER" > "$h/etc-hook-initrd.list" 2> "$h/etc-hook-initrd.err" || rc=$?
  echo "$rc" > "$h/etc-hook-initrd.rc"
  rm -f "$r/etc/initramfs-tools/hooks/vfnet"
  # Enabled as the README says.
  rc=0
  in_root "$r" systemctl enable vfnet.service > "$h/enable.out" 2>&1 || rc=$?
  echo "$rc" > "$h/enable.rc"
  rm -f "$r/root/vfnet.deb"
  e2e_payload "$r"
  mkdir -p "$r/e2e/bin" "$r/usr/local/bin"
  cp "$BUSYBOX" "$r/e2e/bin/busybox"
  install -m 0755 "$BUILD/e2e-helper" "$r/usr/local/bin/e2e-helper"
  install -m 0755 "$E2E_DIR/guest/realroot-entry" "$r/e2e/entry"
  e2e_check_unit "$r"
  # The scenarios start once vfnet.service is done: it waits (apply
  # --wait 30) for igb, which udev loads late under TCG, and Type=idle
  # holds e2e-check back 5 s at most.
  mkdir -p "$r/etc/systemd/system/e2e-check.service.d"
  printf '[Unit]\nAfter=vfnet.service\n' > "$r/etc/systemd/system/e2e-check.service.d/after-vfnet.conf"
  REALROOT=$r
  realroot_boot package "$DEBROOT/boot/initrd.img-$KVER"
}
