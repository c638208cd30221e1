#!/bin/sh
# vfnet dracut hook (pre-mount): creates the SR-IOV VFs recorded in
# /etc/vfnet/vfnet.conf, once udev has loaded the NIC drivers. Sourced by
# dracut. Where the lines go: each goes to the kernel log (dmesg,
# journalctl -b) as one record starting "vfnet: "; vfnet's errors (its
# stderr lines) also reach the console, through dracut's warn.

if [ -x /usr/local/sbin/vfnet ] && [ -r /etc/vfnet/vfnet.conf ]; then
	/usr/local/sbin/vfnet apply --wait "${VFNET_WAIT:-10}" 2>&1 | while IFS= read -r line; do
		case "$line" in
		vfnet:*) warn "$line" ;;
		*)
			if [ -w /dev/kmsg ]; then
				echo "vfnet: $line" >/dev/kmsg
			else
				info "vfnet: $line"
			fi
			;;
		esac
	done
fi
