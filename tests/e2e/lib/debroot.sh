# shellcheck shell=bash
# shellcheck disable=SC2016  # the sh -c scripts expand their own arguments
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# debroot.sh: cached Debian roots for the boot-integration images, sourced by run.sh.
#
#   debroot NAME PKG...   sets DEBROOT to $CACHE/debroot/NAME-<key>/root: a Debian
#                         bookworm root made by `debootstrap --variant=minbase`, then
#                         `apt-get install --no-install-recommends PKG...` in it,
#                         then the suite's kernel .deb installed with `dpkg -i`
#                         (its postinst runs update-initramfs: /boot/initrd.img-KVER)
#   root_copy SRC DST     a working copy of a cached root (cp -a, reflinks when possible)
#   in_root ROOT CMD...   CMD chrooted into ROOT, in a private mount namespace with
#                         /proc, /sys (a fresh, empty-of-host tmpfs), /dev and /run
#                         of its own: nothing is mounted on the host, and nothing
#                         outlives the command
#   ext4_image DIR IMG    a raw ext4 image of DIR (mkfs.ext4 -d: no loop mount)
#
# The key is a hash of the suite, the mirror, the package list, the kernel .deb
# and the recipe below (DEBROOT_RECIPE): a rerun with the same inputs uses the
# cached root and downloads nothing; debootstrap's .debs are kept in
# $CACHE/debootstrap/ and apt's in $CACHE/apt-archives/, so even a rebuild
# (another package list) downloads only what is new.
#
# The roots boot with MODULES=list and /etc/initramfs-tools/modules naming the
# root disk's drivers (virtio_pci, virtio_blk, ext4): a small initrd that still
# is Debian's own mkinitramfs with every hook installed in the root (udev,
# kmod, ...).  The SR-IOV drivers get in only when a hook (vfnet's) adds them.
#
# Uses from run.sh: CACHE, BUILD, log(), die(), apt_install (host-setup.sh),
# KERNEL_DEB (set by fetch_kernel).

DEBROOT_SUITE=${E2E_DEBIAN_SUITE:-bookworm}
DEBROOT_MIRROR=${E2E_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Bumped whenever the recipe below changes what a root holds.
DEBROOT_RECIPE=3

ensure_debootstrap() {
  command -v debootstrap > /dev/null || apt_install debootstrap
  command -v mkfs.ext4 > /dev/null || apt_install e2fsprogs
  command -v unshare > /dev/null || die "unshare (util-linux) is missing"
}

# in_root ROOT CMD...: see above.  The host's /sys is never bound in: the
# chroot gets an empty tmpfs there (mkinitramfs and dpkg need no sysfs with
# MODULES=list).
in_root() {
  local root=$1
  shift
  unshare --mount --propagation private -- sh -c '
    r=$1; shift
    mount -t proc proc "$r/proc" &&
    mount -t tmpfs -o mode=0755 none "$r/sys" &&
    mount -t tmpfs -o mode=0755 none "$r/run" &&
    mount -t tmpfs -o mode=1777 none "$r/tmp" || exit 1
    if [ -e "$r/dev/null" ]; then :; else mount -t devtmpfs devtmpfs "$r/dev" || exit 1; fi
    exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive chroot "$r" "$@"
  ' in_root "$root" "$@"
}

# debroot NAME PKG...: see above.
debroot() {
  local name=$1
  shift
  local pkgs="$*" key dir t0
  key=$(printf '%s\n' "$DEBROOT_RECIPE" "$DEBROOT_SUITE" "$DEBROOT_MIRROR" "$pkgs" "${KERNEL_DEB##*/}" | sha256sum | cut -c1-12)
  dir=$CACHE/debroot/$name-$key
  DEBROOT=$dir/root
  if [ -f "$dir/ok" ]; then
    return 0
  fi
  ensure_debootstrap
  t0=$(now)
  log "building the Debian root '$name' ($DEBROOT_SUITE minbase + $pkgs + ${KERNEL_DEB##*/}); cached in $dir"
  rm -rf "$dir"
  mkdir -p "$dir" "$CACHE/debootstrap" "$CACHE/apt-archives/partial"
  # debootstrap keeps its .debs in --cache-dir (absolute path required)
  debootstrap --variant=minbase --cache-dir="$(realpath "$CACHE/debootstrap")" \
    "$DEBROOT_SUITE" "$DEBROOT" "$DEBROOT_MIRROR" > "$dir/debootstrap.log" 2>&1 ||
    { tail -n 30 "$dir/debootstrap.log" >&2; die "debootstrap failed (log: $dir/debootstrap.log)"; }

  # Small, no docs, apt's downloads in the cache (bind-mounted below).
  cat > "$DEBROOT/etc/dpkg/dpkg.cfg.d/e2e-nodoc" << 'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  echo "$name" > "$DEBROOT/etc/hostname"
  printf '/dev/vda / ext4 rw,errors=remount-ro 0 0\n' > "$DEBROOT/etc/fstab"
  # the initrd: Debian's mkinitramfs, with only what the root disk needs
  # listed; everything else comes from the hooks (vfnet's adds the NIC drivers)
  mkdir -p "$DEBROOT/etc/initramfs-tools/conf.d"
  printf 'MODULES=list\n' > "$DEBROOT/etc/initramfs-tools/conf.d/e2e-modules"
  printf 'virtio_pci\nvirtio_blk\next4\n' >> "$DEBROOT/etc/initramfs-tools/modules"
  cp "$KERNEL_DEB" "$DEBROOT/root/kernel.deb"
  # apt and dpkg run in the root, with apt's archive cache bind-mounted from
  # $CACHE so that a rebuild downloads only what is new
  unshare --mount --propagation private -- sh -c '
    r=$1 a=$2 pkgs=$3
    mount --bind "$a" "$r/var/cache/apt/archives" &&
    mount -t proc proc "$r/proc" &&
    mount -t tmpfs -o mode=0755 none "$r/sys" &&
    mount -t tmpfs -o mode=0755 none "$r/run" || exit 1
    c() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$r" "$@"; }
    set -e
    c apt-get update -qq
    # shellcheck disable=SC2086
    c apt-get install -y -qq --no-install-recommends $pkgs
    c dpkg -i /root/kernel.deb
    rm -f "$r/root/kernel.deb"
  ' debroot "$DEBROOT" "$(realpath "$CACHE/apt-archives")" "$pkgs" > "$dir/apt.log" 2>&1 ||
    { tail -n 40 "$dir/apt.log" >&2; die "installing $pkgs and the kernel into the Debian root failed (log: $dir/apt.log)"; }
  [ -f "$DEBROOT/boot/initrd.img-$KVER" ] || die "the kernel's postinst made no $DEBROOT/boot/initrd.img-$KVER (log: $dir/apt.log)"
  rm -rf "$DEBROOT"/var/lib/apt/lists/* "$DEBROOT"/var/log/*.log
  touch "$dir/ok"
  # older roots of this name (another package list, kernel or recipe) go
  local old
  for old in "$CACHE/debroot/$name"-*; do
    [ "$old" = "$dir" ] || [ ! -d "$old" ] || rm -rf "$old"
  done
  log "Debian root '$name' built in $(secs_since "$t0")s ($(du -sm "$DEBROOT" | cut -f1) MB)"
}

# root_copy SRC DST
root_copy() {
  rm -rf "$2"
  mkdir -p "$(dirname "$2")"
  cp -a --reflink=auto "$1" "$2"
}

# ext4_image DIR IMG [EXTRA_MB]: the image is the size of DIR plus room.
ext4_image() {
  local mb
  command -v mkfs.ext4 > /dev/null || apt_install e2fsprogs
  mb=$(du -sm "$1" | cut -f1)
  mb=$((mb + mb / 4 + ${3:-64}))
  rm -f "$2"
  truncate -s "${mb}M" "$2"
  mkfs.ext4 -q -F -L e2e-root -d "$1" "$2" "${mb}M" || die "mkfs.ext4 -d $1 failed"
}

# The igb PF's PCI address in the guest (the pcie-root-port's bus 1), which the
# boot-integration images put in their config: `0000:01:00.0=3`.
E2E_PF_PCI=0000:01:00.0
E2E_BOOT_VFS=3

# glue_install DIR INIT [ARG...]: `vfnet --root DIR install --init INIT ARG...`, its output and
# exit status kept in DIR/e2e/host/install.{out,rc} for the scenario to check
# (the host cannot report a step itself), then the config: vfnet's example
# config plus one line asking for 3 VFs on the igb PF.  (`vfnet --root DIR
# persist PF 3` would check the count against the device's sysfs, which the
# build host does not have.)
glue_install() {
  local r=$1 init=$2 rc=0
  shift 2
  mkdir -p "$r/e2e/host"
  "$VFNET_BIN" --root "$r" install --init "$init" "$@" > "$r/e2e/host/install.out" 2>&1 || rc=$?
  echo "$rc" > "$r/e2e/host/install.rc"
  sed -e "s|$r||g" -e "s|^|e2e: vfnet --root ${r##*/} install --init $init: |" "$r/e2e/host/install.out" >&2
  [ "$rc" = 0 ] || log "vfnet install --init $init exited $rc (the scenario reports it)"
  mkdir -p "$r/etc/vfnet"
  printf '%s=%s\n' "$E2E_PF_PCI" "$E2E_BOOT_VFS" >> "$r/etc/vfnet/vfnet.conf"
}

# realroot_tree NAME INIT [ARG...]: REALROOT=$BUILD/NAME-root, a fresh copy of the
# cached DEBROOT with vfnet installed for INIT (glue_install, with ARGs) and the e2e
# payload: the runner, library and scenarios in /e2e, busybox (the shell the
# library is written for) in /e2e/bin, the helper in /usr/local/bin, and
# /e2e/entry, which runs the scenarios of the boot and powers off.
realroot_tree() {
  local r=$BUILD/$1-root init=$2
  shift 2
  root_copy "$DEBROOT" "$r"
  glue_install "$r" "$init" "$@"
  e2e_payload "$r"
  mkdir -p "$r/e2e/bin" "$r/usr/local/bin"
  cp "$BUSYBOX" "$r/e2e/bin/busybox"
  install -m 0755 "$BUILD/e2e-helper" "$r/usr/local/bin/e2e-helper"
  install -m 0755 "$E2E_DIR/guest/realroot-entry" "$r/e2e/entry"
  REALROOT=$r
}

# e2e_check_unit ROOT: guest/e2e-check.service in ROOT, enabled: it runs the
# scenarios once a systemd boot is done (the systemd and nm images).
e2e_check_unit() {
  install -m 0644 "$E2E_DIR/guest/e2e-check.service" "$1/etc/systemd/system/e2e-check.service"
  mkdir -p "$1/etc/systemd/system/multi-user.target.wants"
  ln -sf /etc/systemd/system/e2e-check.service "$1/etc/systemd/system/multi-user.target.wants/e2e-check.service"
}

# realroot_boot NAME INITRD [APPEND]: the IMAGE_* of a boot from REALROOT as
# an ext4 virtio disk (a snapshot: the guest's writes are thrown away), the
# suite's kernel and INITRD.
realroot_boot() {
  local img=$BUILD/$1.ext4 t0
  cmp -s "$KERNEL_DIR/vmlinuz" "$REALROOT/boot/vmlinuz-$KVER" || die "the root's kernel is not the suite's ($KVER)"
  IMAGE_KERNEL=$KERNEL_DIR/vmlinuz
  IMAGE_INITRD=$BUILD/$1.initrd
  cp "$2" "$IMAGE_INITRD"
  t0=$(now)
  ext4_image "$REALROOT" "$img"
  log "image $1: $(du -m --apparent-size "$img" | cut -f1) MB ext4 root made in $(secs_since "$t0")s"
  # the image holds the tree now; about 400 MB each, four boots (CI's disk is shared)
  rm -rf "$REALROOT"
  IMAGE_APPEND="root=/dev/vda rw ${3:-}"
  IMAGE_CMDLINE_PLAN=1
  # shellcheck disable=SC2054  # the commas belong to QEMU options
  IMAGE_QEMU=(-drive "file=$img,format=raw,if=none,id=root,snapshot=on" -device virtio-blk-pci,drive=root)
}
