#!/bin/sh
# vfnet dracut hook (pre-mount): creates the SR-IOV VFs recorded in
# /etc/vfnet/vfnet.conf, once udev has loaded the NIC drivers. Sourced by
# dracut; logs through dracut's info (the kernel log).

if [ -x /usr/local/sbin/vfnet ] && [ -r /etc/vfnet/vfnet.conf ]; then
	/usr/local/sbin/vfnet apply --wait "${VFNET_WAIT:-10}" 2>&1 | while IFS= read -r line; do
		info "vfnet: ${line#vfnet: }"
	done
fi
