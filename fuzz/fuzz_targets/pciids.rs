//! The pci.ids reader: any bytes, any ids, no panic, and a name found is
//! one that is in the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ids = [(0x8086, 0x10c9), (0x15b3, 0x1003), (0x0000, 0x0000), (0xffff, 0xffff)];
    for names in vfnet::pciids::lookup(data, &ids) {
        for n in [names.vendor, names.device].into_iter().flatten() {
            assert!(String::from_utf8_lossy(data).contains(n.as_str()));
        }
    }
});
