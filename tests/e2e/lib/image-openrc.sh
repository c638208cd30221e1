# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-openrc.sh: a Debian root with sysvinit + Debian's openrc (scenario 14).
#
# A cached Debian root of its own (lib/debroot.sh: bookworm minbase +
# sysvinit-core, openrc, udev, kmod, initramfs-tools, e2fsprogs, ifupdown and
# the suite's kernel), copied; vfnet installed with `vfnet --root ROOT install
# --init openrc` (/etc/init.d/vfnet, linked into /etc/runlevels/sysinit) and a
# config asking for 3 VFs.  Debian boots OpenRC from sysvinit's inittab:
# `/etc/init.d/rcS` runs `openrc sysinit`, `/etc/init.d/rc 2` runs `openrc
# default`.  ifupdown's networking service raises lo, whose `up` command
# (/e2e/netprobe) records whether the VFs exist then; an inittab line after
# runlevel 2's runs the scenarios (/e2e/entry) and powers off.

DEBROOT_OPENRC_PKGS="sysvinit-core openrc udev kmod initramfs-tools e2fsprogs ifupdown"

image_openrc() {
  debroot openrc "$DEBROOT_OPENRC_PKGS"
  realroot_tree openrc openrc
  local r=$REALROOT
  install -m 0755 "$E2E_DIR/guest/netprobe" "$r/e2e/netprobe"
  mkdir -p "$r/etc/network/interfaces.d"
  printf 'auto lo\niface lo inet loopback\n  up /e2e/netprobe\n' > "$r/etc/network/interfaces.d/e2e"
  # the scenarios, once runlevel 2 (openrc default) is done; no gettys (no VTs)
  sed -i -e '/^[1-6]:[0-9]*:respawn:.*getty/d' "$r/etc/inittab"
  printf 'e2e:2:wait:/e2e/entry openrc\n' >> "$r/etc/inittab"
  realroot_boot openrc "$DEBROOT/boot/initrd.img-$KVER"
}
