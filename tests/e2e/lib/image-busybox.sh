# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-busybox.sh: the default guest image, sourced by run.sh.
#
# An image is a function image_<name> that builds what one boot needs and sets:
#   IMAGE_KERNEL   the kernel to boot (-kernel)
#   IMAGE_INITRD   a newc cpio (uncompressed); run.sh appends the boot's plan to it
#   IMAGE_APPEND   extra kernel command line
#   IMAGE_QEMU     extra QEMU arguments (array), e.g. a disk for a real root
# A scenario picks its image with a `# e2e-image: NAME` header line: see
# image-appliance.sh, image-initramfs-tools.sh, image-systemd.sh and
# image-openrc.sh for the boot-integration images, and image-iproute2.sh
# (this image plus iproute2's ip) for the VF settings scenarios.
#
# busybox: a single initramfs holding busybox, the kernel modules, vfnet at
# /usr/sbin/vfnet, the e2e helper, a pci.ids excerpt, the guest library and
# every scenario.  Its /init runs the scenarios listed in /e2e/plan.

# busybox_tree DIR: the busybox initramfs tree every busybox-based image
# starts from (busybox and its applets, the modules, vfnet at /usr/sbin, the
# helper, pci.ids, guest/init as /init, the runner, library and scenarios).
busybox_tree() {
  local r=$1 a
  rm -rf "$r"
  mkdir -p "$r"/{bin,dev,proc,sys,tmp,run,etc,root,usr/bin,usr/sbin,usr/share/misc,lib/modules}
  ln -s bin "$r/sbin"

  cp "$BUSYBOX" "$r/bin/busybox"
  for a in $("$BUSYBOX" --list); do
    [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"
  # /dev/console for the kernel's initial console (needs root; /init
  # re-opens the console from devtmpfs anyway)
  mknod -m 600 "$r/dev/console" c 5 1 2>/dev/null || true
  echo 'root:x:0:' > "$r/etc/group"

  # kernel modules, decompressed, and the order /init loads them in
  cp "$KERNEL_DIR"/modules/* "$r/lib/modules/"

  install -m 0755 "$VFNET_BIN" "$r/usr/sbin/vfnet"
  install -m 0755 "$BUILD/e2e-helper" "$r/usr/bin/e2e-helper"
  install -m 0644 "$E2E_DIR/guest/pci.ids" "$r/usr/share/misc/pci.ids"

  install -m 0755 "$E2E_DIR/guest/init" "$r/init"
  e2e_payload "$r"
}

# e2e_payload DIR: the runner, the guest library and every scenario, in
# DIR/e2e (the busybox images and the Debian roots alike).
e2e_payload() {
  mkdir -p "$1/e2e/scenarios"
  install -m 0755 "$E2E_DIR/guest/runner.sh" "$1/e2e/runner.sh"
  install -m 0644 "$E2E_DIR/guest/lib.sh" "$E2E_DIR/guest/json.awk" "$1/e2e/"
  install -m 0644 "$E2E_DIR"/scenarios/*.sh "$1/e2e/scenarios/"
}

image_busybox() {
  local r=$BUILD/busybox-root
  busybox_tree "$r"
  IMAGE_INITRD=$BUILD/busybox.cpio
  cpio_dir "$r" > "$IMAGE_INITRD"
  IMAGE_KERNEL=$KERNEL_DIR/vmlinuz
  IMAGE_APPEND=
  IMAGE_QEMU=()
}
