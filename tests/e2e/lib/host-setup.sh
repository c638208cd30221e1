# shellcheck shell=bash
# host-setup.sh: host-side preparation for the e2e suite, sourced by run.sh.
#
#   ensure_host_tools   installs what is missing (QEMU >= 8 from bookworm-backports,
#                       gcc + static libc, zstd when needed); needs root only then
#   build_vfnet         the static x86_64 musl vfnet (cargo), or $E2E_VFNET
#   fetch_busybox       busybox-static .deb -> $CACHE/busybox/<version>/busybox
#   fetch_kernel        kernel .deb -> $CACHE/kernel/<version>-<modset>/{vmlinuz,modules/};
#                       KERNEL_DEB is the .deb (the Debian roots install it)
#
# Downloads go to $CACHE (tests/e2e/cache/, ignored by git) and are reused
# by version: a rerun downloads nothing.  Nothing of the kernel is installed
# on the host: the .deb is unpacked with dpkg-deb into a temporary directory.
#
# Uses from run.sh: REPO, CACHE, BUILD, log(), die().

MUSL_TARGET=x86_64-unknown-linux-musl
BACKPORTS_LIST=/etc/apt/sources.list.d/e2e-bookworm-backports.list
# The guest kernel: pinned, so that runs are comparable (SYSFS.md was read
# off this one).  If the archive no longer has it, the kernel that
# bookworm-backports' linux-image-amd64 points to is used instead.
KERNEL_PKG_DEFAULT=linux-image-6.12.95+deb12-amd64-unsigned
# Modules the guest loads; their dependencies are found from each module's
# `depends=` (the .deb ships no modules.dep).  vfio_iommu_type1 is not a
# hard dependency of vfio-pci but is what a VFIO user needs; bridge and
# veth are scenario 28's (the PF in a bridge, a veth for a bridge VM).
KERNEL_MODULES_DEFAULT="igb igbvf vfio-pci vfio_iommu_type1 nvme bridge veth"

APT_UPDATED=

# as_root CMD...: runs CMD when we are root; otherwise explains and stops.
as_root() {
  if [ "$(id -u)" != 0 ]; then
    die "need root to run: $* (run the suite as root on CI, or install it yourself)"
  fi
  "$@"
}

apt_update_once() {
  [ -n "$APT_UPDATED" ] && return 0
  log "apt-get update"
  as_root apt-get update -qq
  APT_UPDATED=1
}

# ensure_backports: bookworm-backports is an apt source and in the apt index
# (QEMU >= 8 and the pinned 6.12 kernel come from there).  Debian 12 only:
# newer releases have both in their own suite.
ensure_backports() {
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [ "$codename" != bookworm ]; then
    log "host is Debian '$codename', not bookworm: not adding bookworm-backports"
    return 0
  fi
  if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding bookworm-backports to apt sources ($BACKPORTS_LIST)"
    echo 'deb http://deb.debian.org/debian bookworm-backports main' | as_root tee "$BACKPORTS_LIST" > /dev/null
    APT_UPDATED=
  fi
  if ! apt-cache policy 2> /dev/null | grep -q 'bookworm-backports'; then
    APT_UPDATED=
    apt_update_once
  fi
}

apt_install() {
  apt_update_once
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

qemu_has_igb() {
  command -v qemu-system-x86_64 > /dev/null &&
    qemu-system-x86_64 -device help 2>/dev/null | grep -q '"igb"'
}

ensure_host_tools() {
  local need=()
  for c in apt-get dpkg-deb timeout tail awk sha256sum; do
    command -v "$c" > /dev/null || die "$c is missing: this harness needs a Debian host"
  done
  if ! qemu_has_igb; then
    # -device igb needs QEMU >= 8.0; bookworm has 7.2.
    ensure_backports
    if apt-cache policy 2> /dev/null | grep -q 'bookworm-backports'; then
      apt_install -t bookworm-backports qemu-system-x86
    else
      apt_install qemu-system-x86
    fi
    qemu_has_igb || die "qemu-system-x86_64 has no igb device even after installing it from bookworm-backports"
  fi
  command -v gcc > /dev/null || need+=(gcc)
  # gcc -static needs libc.a (libc6-dev)
  [ -f "$(gcc -print-file-name=libc.a 2> /dev/null)" ] || need+=(libc6-dev)
  [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}

# ensure_zstd: only kernels with .ko.zst modules need it (busybox does xz).
ensure_zstd() { command -v zstd > /dev/null || apt_install zstd; }

# build_vfnet: sets VFNET_BIN to the static musl binary.
build_vfnet() {
  if [ -n "${E2E_VFNET:-}" ]; then
    VFNET_BIN=$(realpath "$E2E_VFNET")
    log "using E2E_VFNET=$VFNET_BIN (not building)"
  else
    command -v cargo > /dev/null || die "cargo is missing: install Rust (https://rustup.rs)"
    if command -v rustup > /dev/null && ! rustup target list --installed | grep -qx "$MUSL_TARGET"; then
      log "rustup target add $MUSL_TARGET"
      rustup target add "$MUSL_TARGET"
    fi
    # The binary as vfnet ships it: the size-built std (scripts/build-release).
    log "scripts/build-release $MUSL_TARGET"
    "$REPO/scripts/build-release" "$MUSL_TARGET" || die "scripts/build-release failed"
    VFNET_BIN=$REPO/target/$MUSL_TARGET/release/vfnet
  fi
  [ -x "$VFNET_BIN" ] || die "no vfnet binary at $VFNET_BIN"
  # The guest has no libc: the binary must be static.
  if command -v readelf > /dev/null && readelf -l "$VFNET_BIN" 2>/dev/null | grep -q 'Requesting program interpreter'; then
    die "$VFNET_BIN is dynamically linked; the guest needs a static binary (--target $MUSL_TARGET)"
  fi
}

# deb_version PKG: the version apt would download, empty if unknown.
deb_version() {
  apt-cache show --no-all-versions "$1" 2>/dev/null | awk '/^Version:/ { print $2; exit }'
}

# cached_deb PKG: the newest .deb of PKG in the cache, if any.
cached_deb() {
  local f
  for f in "$CACHE/debs/$1"_*.deb; do
    [ -f "$f" ] && echo "$f"
  done | sort -V | tail -n 1
}

# fetch_deb PKG: prints the path of PKG's .deb, downloading it when the
# cache has none.  Reruns use the cached file without asking apt.
fetch_deb() {
  local pkg="$1" deb
  deb=$(cached_deb "$pkg")
  if [ -z "$deb" ]; then
    mkdir -p "$CACHE/debs"
    log "apt-get download $pkg ($(deb_version "$pkg"))"
    # APT::Sandbox::User=root: the cache dir need not be readable by _apt
    (cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || die "apt-get download $pkg failed"
    deb=$(cached_deb "$pkg")
  fi
  [ -n "$deb" ] || die "no .deb for $pkg"
  echo "$deb"
}

# fetch_busybox: sets BUSYBOX to a static busybox that also runs on the host
# (its cpio and unxz build the initramfs, so the host needs neither).
fetch_busybox() {
  local deb ver dir
  deb=$(fetch_deb busybox-static)
  ver=$(dpkg-deb -f "$deb" Version)
  dir=$CACHE/busybox/${ver//:/_}
  if [ ! -x "$dir/busybox" ]; then
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    dpkg-deb -x "$deb" "$dir.tmp/x"
    mv "$dir.tmp/x/bin/busybox" "$dir.tmp/busybox"
    rm -rf "$dir.tmp/x" "$dir"
    mv "$dir.tmp" "$dir"
  fi
  BUSYBOX=$dir/busybox
  # shellcheck disable=SC2034  # read by run.sh
  BUSYBOX_VERSION=$ver
}

# kernel_pkg: the kernel package to use (E2E_KERNEL_PKG, the pinned one, or
# the current bookworm-backports one).
kernel_pkg() {
  local pkg=${E2E_KERNEL_PKG:-$KERNEL_PKG_DEFAULT} alt
  if [ -n "$(cached_deb "$pkg")" ] || [ -n "$(deb_version "$pkg")" ]; then
    echo "$pkg"
    return
  fi
  ensure_backports
  if [ -n "$(deb_version "$pkg")" ]; then
    echo "$pkg"
    return
  fi
  [ -z "${E2E_KERNEL_PKG:-}" ] || die "kernel package $pkg is not in the apt index"
  # the newest kernel apt knows (backports' when it is a source)
  local from=()
  if apt-cache policy 2> /dev/null | grep -q bookworm-backports; then from=(-t bookworm-backports); fi
  alt=$(apt-cache depends "${from[@]}" linux-image-amd64 2> /dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [ -n "$alt" ] || die "kernel package $pkg is gone and apt has no linux-image-amd64"
  log "kernel $pkg is no longer in the archive; using $alt (set E2E_KERNEL_PKG to choose)"
  echo "$alt"
}

# decompress_ko SRC DST: a module, decompressed (busybox insmod cannot read
# .ko.xz/.ko.zst).
decompress_ko() {
  case "$1" in
    *.ko.xz) "$BUSYBOX" unxz -c "$1" > "$2" ;;
    *.ko.zst) ensure_zstd && zstd -q -dc "$1" > "$2" ;;
    *.ko.gz) gzip -dc "$1" > "$2" ;;
    *.ko) cp "$1" "$2" ;;
    *) die "unknown module file $1" ;;
  esac
}

# fetch_kernel: sets KERNEL_DIR to a cache directory holding vmlinuz,
# modules/NAME.ko and modules/load-order (dependency order), KVER.
fetch_kernel() {
  local pkg deb ver modset tmp mdir kver f
  pkg=$(kernel_pkg)
  deb=$(fetch_deb "$pkg")
  # shellcheck disable=SC2034  # read by debroot.sh
  KERNEL_DEB=$deb
  ver=$(dpkg-deb -f "$deb" Version)
  local want=${E2E_MODULES:-$KERNEL_MODULES_DEFAULT}
  modset=$(echo "$want" | sha256sum | cut -c1-8)
  KERNEL_DIR=$CACHE/kernel/${pkg}_${ver//:/_}-$modset
  if [ -f "$KERNEL_DIR/modules/load-order" ] && [ -f "$KERNEL_DIR/vmlinuz" ]; then
    KVER=$(cat "$KERNEL_DIR/kver")
    return 0
  fi
  log "unpacking $(basename "$deb") (modules: $want + dependencies)"
  tmp=$KERNEL_DIR.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp/modules"
  dpkg-deb -x "$deb" "$tmp/x"
  mdir=
  for f in "$tmp"/x/lib/modules/* "$tmp"/x/usr/lib/modules/*; do
    [ -d "$f" ] && mdir=$f && break
  done
  [ -n "$mdir" ] || die "$deb has no lib/modules"
  kver=${mdir##*/}
  cp "$tmp/x/boot/vmlinuz-$kver" "$tmp/vmlinuz"
  echo "$kver" > "$tmp/kver"

  # Module name -> file, with '-' and '_' treated alike (as the kernel does).
  declare -A file_of=()
  local b
  while IFS= read -r f; do
    b=${f##*/}
    b=${b%%.ko*}
    file_of[${b//-/_}]=$f
  done < <(find "$mdir" -name '*.ko*')

  # Depth-first: every module comes after what it depends on.
  declare -A seen=()
  : > "$tmp/modules/load-order"
  visit() {
    local name=$1 key=${1//-/_} src base dep
    [ -z "${seen[$key]:-}" ] || return 0
    seen[$key]=1
    src=${file_of[$key]:-}
    if [ -z "$src" ]; then
      # built into the kernel: nothing to load
      tr '-' '_' < "$mdir/modules.builtin" | grep -q "/$key\.ko\$" && return 0
      die "module $name is neither in $pkg nor built in"
    fi
    base=${src##*/}
    base=${base%%.ko*}
    decompress_ko "$src" "$tmp/modules/$base.ko"
    for dep in $(tr '\0' '\n' < "$tmp/modules/$base.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
      visit "$dep"
    done
    echo "$base" >> "$tmp/modules/load-order"
  }
  local m
  for m in $want; do visit "$m"; done
  rm -rf "$tmp/x" "$KERNEL_DIR"
  mv "$tmp" "$KERNEL_DIR"
  KVER=$kver
  log "kernel $KVER, modules in load order: $(tr '\n' ' ' < "$KERNEL_DIR/modules/load-order")"
}
