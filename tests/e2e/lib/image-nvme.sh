# shellcheck shell=bash
# shellcheck disable=SC2034  # the IMAGE_* variables are read by run.sh
# image-nvme.sh: the busybox image, on a machine that also has an NVMe
# controller with SR-IOV (scenario 22): QEMU's nvme in an NVM subsystem,
# behind a second PCIe root port (so at 0000:02:00.0), with 4 VFs
# (sriov_max_vfs) and the flexible queue and interrupt resources QEMU
# requires for them. The kernel's nvme driver binds the PF and offers
# sriov_totalvfs 4; QEMU's secondary controllers start offline, so the
# driver gives up on the VFs: an SR-IOV PF that is not a NIC, with VFs no
# driver keeps.

image_nvme() {
  image_busybox
  # shellcheck disable=SC2054  # the commas belong to QEMU options
  IMAGE_QEMU=(
    -device pcie-root-port,id=rp1,chassis=2,slot=2
    -device nvme-subsys,id=nvmesubsys0
    -device nvme,serial=vfnet-e2e,subsys=nvmesubsys0,bus=rp1,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4,max_ioqpairs=12,msix_qsize=8
  )
}
