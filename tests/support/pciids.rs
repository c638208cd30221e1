//! The pci.ids names the fake machines use (checked against the real pci.ids;
//! 8086:1563 keeps its older name "Ethernet Controller 10G X550T", the one the
//! original README shows) and the writer of a machine's pci.ids excerpt: header
//! comments, vendors in ascending order, each with the devices and subsystems
//! the machine shows plus a few it does not (so a reader must skip lines), then
//! the class list, as in the real file.

use super::spec::Machine;

const VENDORS: &[(u16, &str)] = &[
    (0x1022, "Advanced Micro Devices, Inc. [AMD]"),
    (0x10ec, "Realtek Semiconductor Co., Ltd."),
    (0x144d, "Samsung Electronics Co Ltd"),
    (0x15b3, "Mellanox Technologies"),
    (0x1af4, "Red Hat, Inc."),
    (0x1b36, "Red Hat, Inc."),
    (0x8086, "Intel Corporation"),
];

const DEVICES: &[(u16, u16, &str)] = &[
    (0x1022, 0x1450, "Family 17h (Models 00h-0fh) Root Complex"),
    (
        0x1022,
        0x1453,
        "Family 17h (Models 00h-0fh) PCIe GPP Bridge",
    ),
    (0x10ec, 0x8125, "RTL8125 2.5GbE Controller"),
    (
        0x10ec,
        0x8168,
        "RTL8111/8168/8211/8411 PCI Express Gigabit Ethernet Controller",
    ),
    (0x144d, 0xa808, "NVMe SSD Controller SM981/PM981/PM983"),
    (0x144d, 0xa824, "NVMe SSD Controller PM173X"),
    (0x15b3, 0x1003, "MT27500 Family [ConnectX-3]"),
    (
        0x15b3,
        0x1004,
        "MT27500/MT27520 Family [ConnectX-3/ConnectX-3 Pro Virtual Function]",
    ),
    (0x15b3, 0x1007, "MT27520 Family [ConnectX-3 Pro]"),
    (0x1af4, 0x1000, "Virtio network device"),
    (0x1af4, 0x1041, "Virtio 1.0 network device"),
    (0x1b36, 0x000c, "QEMU PCIe Root port"),
    (0x8086, 0x10c9, "82576 Gigabit Network Connection"),
    (0x8086, 0x10ca, "82576 Virtual Function"),
    (
        0x8086,
        0x10fb,
        "82599ES 10-Gigabit SFI/SFP+ Network Connection",
    ),
    (0x8086, 0x1237, "440FX - 82441FX PMC [Natoma]"),
    (0x8086, 0x1520, "I350 Ethernet Controller Virtual Function"),
    (0x8086, 0x1521, "I350 Gigabit Network Connection"),
    (0x8086, 0x154c, "Ethernet Virtual Function 700 Series"),
    (0x8086, 0x1563, "Ethernet Controller 10G X550T"),
    (0x8086, 0x1565, "X550 Virtual Function"),
    (0x8086, 0x1572, "Ethernet Controller X710 for 10GbE SFP+"),
    (0x8086, 0x159b, "Ethernet Controller E810-XXV for SFP"),
    (0x8086, 0x1889, "Ethernet Adaptive Virtual Function"),
    (
        0x8086,
        0x1901,
        "6th-10th Gen Core Processor PCIe Controller (x16)",
    ),
    (0x8086, 0x2918, "82801IB (ICH9) LPC Interface Controller"),
    (
        0x8086,
        0x2922,
        "82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]",
    ),
    (0x8086, 0x2930, "82801I (ICH9 Family) SMBus Controller"),
    (0x8086, 0x29c0, "82G33/G31/P35/P31 Express DRAM Controller"),
    (
        0x8086,
        0x3e30,
        "8th/9th Gen Core 8-core Desktop Processor Host Bridge/DRAM Registers [Coffee Lake S]",
    ),
];

/// (vendor, device, subvendor, subdevice, name).
const SUBSYSTEMS: &[(u16, u16, u16, u16, &str)] = &[
    (0x10ec, 0x8168, 0x1458, 0xe000, "Onboard Ethernet"),
    (
        0x15b3,
        0x1003,
        0x15b3,
        0x0079,
        "ConnectX-3 40 GbE Dual Port QSFP+ Adapter",
    ),
    (
        0x8086,
        0x1521,
        0x8086,
        0x0002,
        "Ethernet Server Adapter I350-T2",
    ),
    (
        0x8086,
        0x1563,
        0x8086,
        0x0001,
        "Ethernet Converged Network Adapter X550-T2",
    ),
    (
        0x8086,
        0x1572,
        0x8086,
        0x0007,
        "Ethernet Converged Network Adapter X710-2",
    ),
    (
        0x8086,
        0x159b,
        0x8086,
        0x0003,
        "Ethernet Network Adapter E810-XXV-2",
    ),
];

const HEADER: &str = "#
#\tList of PCI ID's
#
#\tExcerpt for a vfnet test machine: the real file's format, vendors sorted.
#

# Vendors, devices and subsystems. Please keep sorted.

# Syntax:
# vendor  vendor_name
#\tdevice  device_name\t\t\t\t<-- single tab
#\t\tsubvendor subdevice  subsystem_name\t<-- two tabs

";

const CLASSES: &str = "
# List of known device classes, subclasses and programming interfaces

C 01  Mass storage controller
\t06  SATA controller
\t\t01  AHCI 1.0
\t08  Non-Volatile memory controller
\t\t02  NVM Express
C 02  Network controller
\t00  Ethernet controller
C 06  Bridge
\t00  Host bridge
\t01  ISA bridge
\t04  PCI bridge
\t\t00  Normal decode
C 0c  Serial bus controller
\t05  SMBus
";

/// The pci.ids excerpt for `m`: every table vendor the machine uses, with all
/// its table devices and the subsystems of those devices.
pub fn excerpt(m: &Machine) -> String {
    let ids = m.ids();
    let mut out = String::from(HEADER);
    for &(v, vname) in VENDORS {
        if !ids.iter().any(|&(iv, _, _)| iv == v) {
            continue;
        }
        out += &format!("{v:04x}  {vname}\n");
        for &(dv, d, dname) in DEVICES.iter().filter(|e| e.0 == v) {
            out += &format!("\t{d:04x}  {dname}\n");
            for &(_, _, sv, sd, sname) in SUBSYSTEMS.iter().filter(|e| e.0 == dv && e.1 == d) {
                out += &format!("\t\t{sv:04x} {sd:04x}  {sname}\n");
            }
        }
    }
    out += CLASSES;
    out
}

/// The name pci.ids gives `vendor:device`, if the table has it.
pub fn device_name(vendor: u16, device: u16) -> Option<&'static str> {
    DEVICES
        .iter()
        .find(|e| e.0 == vendor && e.1 == device)
        .map(|e| e.2)
}
