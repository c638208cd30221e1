# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-iproute2.sh: the busybox image plus iproute2's `ip` (scenarios 15-17).
#
# The VF settings scenarios check what vfnet says against a reader of the
# kernel's rtnetlink view that is not vfnet: iproute2's `ip -d -j link show`
# (its vfinfo_list).  busybox's own `ip` applet does not decode VF info, so
# the host's iproute2 (Debian's, installed with apt-get when missing) goes in
# as /usr/sbin/ip, ahead of busybox's applet in PATH, with the shared
# libraries `ldd` names and the dynamic loader at the paths `ldd` gives.  The
# default busybox image keeps no libc at all (vfnet is static); this one has
# a glibc for `ip` only.  Nothing is downloaded when the host has iproute2.

# ensure_iproute2: the host has iproute2's ip (Debian's package).
ensure_iproute2() {
  local ip
  ip=$(command -v ip 2> /dev/null || true)
  if [ -z "$ip" ] || ! "$ip" -V 2> /dev/null | grep -q iproute2; then
    apt_install iproute2
  fi
  command -v ldd > /dev/null || die "ldd is missing (libc-bin): needed to copy ip's libraries into the guest"
}

# guest_iproute2 DIR: the host's ip at DIR/usr/sbin/ip, with its libraries
# and loader at the same paths as on the host.
guest_iproute2() {
  local r=$1 ip lib tool
  ensure_iproute2
  ip=$(readlink -f "$(command -v ip)")
  # ip, and bridge (scenario 28 reads the bridges' tables with it)
  for tool in "$ip" "$(readlink -f "$(command -v bridge)")"; do
    install -D -m 0755 "$tool" "$r/usr/sbin/${tool##*/}"
    # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and
    # "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file
    for lib in $(ldd "$tool" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
      mkdir -p "$r$(dirname "$lib")"
      cp -L "$lib" "$r$lib"
    done
  done
  # ip reads these when it names protocols and tables (absent: numbers)
  if [ -d /etc/iproute2 ]; then
    mkdir -p "$r/etc/iproute2"
    cp -a /etc/iproute2/. "$r/etc/iproute2/"
  fi
  "$ip" -V > "$r/e2e/host/iproute2-version" 2>&1 || true
}

image_iproute2() {
  local r=$BUILD/iproute2-root
  busybox_tree "$r"
  mkdir -p "$r/e2e/host"
  guest_iproute2 "$r"
  IMAGE_INITRD=$BUILD/iproute2.cpio
  cpio_dir "$r" > "$IMAGE_INITRD"
  IMAGE_KERNEL=$KERNEL_DIR/vmlinuz
  IMAGE_APPEND=
  IMAGE_QEMU=()
}
