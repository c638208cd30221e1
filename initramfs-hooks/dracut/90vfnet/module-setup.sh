#!/bin/bash
# vfnet dracut module: puts vfnet, its config and the drivers of the
# machine's SR-IOV NICs (PFs and VFs) into the initramfs; vfnet-apply.sh
# creates the VFs in the pre-mount hook, before the root is mounted.
# Installed by `vfnet install --init dracut` in
# /usr/lib/dracut/modules.d/90vfnet/ (and /etc/dracut.conf.d/vfnet.conf adds it).

VFNET=/usr/local/sbin/vfnet
VFNET_CONFIG=/etc/vfnet/vfnet.conf
VFNET_DRIVERS=/etc/vfnet/drivers

check() {
	# Nothing to do without a config; without vfnet, said at image build
	# time (the boot would not say it).
	[ -r "$VFNET_CONFIG" ] || return 1
	if [ ! -x "$VFNET" ]; then
		echo "vfnet: $VFNET is missing: this initramfs will not create the SR-IOV VFs of $VFNET_CONFIG (vfnet install --init dracut puts it back)" >&2
		return 1
	fi
	# Only when asked (add_dracutmodules, as /etc/dracut.conf.d/vfnet.conf
	# does): the vfnet package's copy is inert until then.
	return 255
}

depends() {
	echo udev-rules
	return 0
}

installkernel() {
	# The drivers bound now, and those vfnet install recorded (with install
	# --driver NAME) for images built where the NICs are not visible.
	local drivers recorded addr unseen driver mods
	drivers=$("$VFNET" list --all --json | sed -n 's/.*"driver":"\([^"]*\)".*/\1/p')
	recorded=
	[ -r "$VFNET_DRIVERS" ] && recorded=$(sed 's/#.*//' "$VFNET_DRIVERS")
	unseen=
	for addr in $(sed -n 's/^[[:space:]]*\([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*\.[0-7]\)[[:space:]]*=.*/\1/p' "$VFNET_CONFIG"); do
		[ -e "/sys/bus/pci/devices/$addr" ] || unseen="$unseen $addr"
	done
	# shellcheck disable=SC2086 # one word per driver
	if [ -n "$unseen" ] && [ -z "$(echo $recorded)" ]; then
		dwarn "vfnet: configured PF(s)$unseen not visible here and no driver recorded in $VFNET_DRIVERS: the image may lack their drivers (vfnet install --driver NAME records one)"
	fi
	mods=
	# shellcheck disable=SC2086 # one word per driver
	for driver in $(printf '%s\n' $drivers $recorded | sort -u); do
		case "$driver" in
		*[!A-Za-z0-9_-]*) continue ;;
		esac
		mods="$mods $driver"
	done
	# shellcheck disable=SC2086 # one word per driver
	[ -n "$mods" ] && hostonly='' instmods $mods
	return 0
}

install() {
	# inst_binary: with its libraries, should it be a dynamic build
	inst_binary "$VFNET" /usr/local/sbin/vfnet
	inst_simple "$VFNET_CONFIG" /etc/vfnet/vfnet.conf
	# shellcheck disable=SC2154 # moddir is dracut's
	inst_hook pre-mount 10 "$moddir/vfnet-apply.sh"
}
