# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-appliance-two.sh: the appliance image (image-appliance.sh) on a
# machine with a second igb behind a second PCIe root port (so at
# 0000:02:00.0, MAC 52:54:00:12:34:57), and a config asking for 7 VFs with
# auto MACs on both (scenario 26): the boot script's one `vfnet apply`
# changes both PFs at once.

image_appliance_two() {
  image_appliance
  local r=$BUILD/appliance-root
  cat > "$r/etc/vfnet/vfnet.conf" <<CONF
# two PFs, changed at the same time by one apply
0000:01:00.0=7
0000:01:00.0.vfs.mac=auto
0000:02:00.0=7
0000:02:00.0.vfs.mac=auto
CONF
  # The runner removes /etc/vfnet before each scenario: a copy to time again.
  cp "$r/etc/vfnet/vfnet.conf" "$r/e2e/host/two-pfs.conf"
  IMAGE_INITRD=$BUILD/appliance-two.cpio
  cpio_dir "$r" > "$IMAGE_INITRD"
  # shellcheck disable=SC2054  # the commas belong to QEMU options
  # Two vCPUs (QEMU takes the last -smp): what runs at once can, in the
  # guest as on a host (the host has two cores; TCG runs a thread per vCPU).
  IMAGE_QEMU=(
    -smp 2
    -device pcie-root-port,id=rp1,chassis=2,slot=2
    -device igb,bus=rp1,mac=52:54:00:12:34:57
  )
}
