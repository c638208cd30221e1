# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-appliance.sh: an appliance's initramfs (scenario 11).
#
# The busybox image with guest/init-appliance as /init, and vfnet installed the
# way the initramfs-tools glue installs it: `vfnet --root TREE install --init
# initramfs-tools` writes /usr/local/sbin/vfnet, /etc/vfnet/vfnet.conf and
# etc/initramfs-tools/scripts/init-premount/vfnet; the boot script is put where
# an initramfs has it, /scripts/init-premount/vfnet, and the config asks for 3
# VFs on the igb PF.  /init loads the drivers, runs that script, records what
# it did and runs the scenarios.  No download, no disk: built in a second.

image_appliance() {
  local r=$BUILD/appliance-root
  busybox_tree "$r"
  install -m 0755 "$E2E_DIR/guest/init-appliance" "$r/init"
  glue_install "$r" initramfs-tools
  mkdir -p "$r/scripts/init-premount"
  if [ -f "$r/etc/initramfs-tools/scripts/init-premount/vfnet" ]; then
    cp -a "$r/etc/initramfs-tools/scripts/init-premount/vfnet" "$r/scripts/init-premount/vfnet"
  fi
  # for the scenario: is the installed script the repo's?  vfnet ships glue
  # without its comment lines (but the first two), blank lines and leading
  # tabs, so the repo's copy is compared in that form.
  local cmprc=0
  awk '{ sub(/^\t+/, "") } NR <= 2 || !(/^#/ || $0 == "")' \
    "$REPO/initramfs-hooks/initramfs-tools/scripts/init-premount/vfnet" > "$BUILD/premount.shipped"
  cmp "$BUILD/premount.shipped" "$r/scripts/init-premount/vfnet" > "$r/e2e/host/script.cmp" 2>&1 || cmprc=$?
  echo "$cmprc" >> "$r/e2e/host/script.cmp"
  IMAGE_INITRD=$BUILD/appliance.cpio
  cpio_dir "$r" > "$IMAGE_INITRD"
  IMAGE_KERNEL=$KERNEL_DIR/vmlinuz
  IMAGE_APPEND=
  IMAGE_QEMU=()
}
