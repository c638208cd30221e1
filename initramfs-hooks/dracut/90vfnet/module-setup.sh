#!/bin/bash
# vfnet dracut module: puts vfnet, its config and the drivers of the
# machine's SR-IOV NICs (PFs and VFs) into the initramfs; vfnet-apply.sh
# creates the VFs in the pre-mount hook, before the root is mounted.
# Installed by `vfnet install --init dracut` in
# /usr/lib/dracut/modules.d/90vfnet/ (and /etc/dracut.conf.d/vfnet.conf adds it).

VFNET=/usr/local/sbin/vfnet
VFNET_CONFIG=/etc/vfnet/vfnet.conf

check() {
	# Nothing to do without vfnet or a config.
	[ -x "$VFNET" ] && [ -r "$VFNET_CONFIG" ] || return 1
	return 0
}

depends() {
	echo udev-rules
	return 0
}

installkernel() {
	local drivers
	drivers=$("$VFNET" list --all --json | sed -n 's/.*"driver":"\([^"]*\)".*/\1/p' | sort -u)
	# shellcheck disable=SC2086 # one word per driver
	[ -n "$drivers" ] && hostonly='' instmods $drivers
	return 0
}

install() {
	inst_simple "$VFNET" /usr/local/sbin/vfnet
	inst_simple "$VFNET_CONFIG" /etc/vfnet/vfnet.conf
	# shellcheck disable=SC2154 # moddir is dracut's
	inst_hook pre-mount 10 "$moddir/vfnet-apply.sh"
}
