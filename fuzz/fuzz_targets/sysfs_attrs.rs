//! The parsers of sysfs attributes, link targets and names: no panic, and
//! what parses prints back to something that parses to the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vfnet::{ifname::IfName, mac::Mac, pci, sysfs};

fuzz_target!(|data: &[u8]| {
    let _ = sysfs::parse_u32(data);
    let _ = sysfs::parse_hex_u16(data);
    let _ = sysfs::trim(data);
    let _ = pci::netdev_parent(data);
    let _ = pci::link_addr(data);
    if let Some(m) = Mac::parse(data) {
        assert_eq!(Mac::parse(m.to_string().as_bytes()), Some(m));
    }
    // Quoted input never carries a control character, and stays short.
    let q = vfnet::text::quote_bytes(data);
    assert!(!q.chars().any(char::is_control) && q.len() <= 80 * 4 + 3, "{q:?}");
    let Ok(s) = std::str::from_utf8(data) else { return };
    let q = vfnet::text::quote(s);
    assert!(!q.chars().any(char::is_control) && q.len() <= 80 * 4 + 3, "{q:?}");
    if let Ok(w) = vfnet::text::sh_quote(s) {
        assert!(!w.contains('\n'));
    }
    if let Some(a) = pci::PciAddr::parse(s) {
        assert_eq!(pci::PciAddr::parse(&a.to_string()), Some(a));
        assert_eq!(a.name().as_str(), a.to_string());
    }
    if let Ok(n) = IfName::parse(s) {
        assert!(!n.as_str().contains('/') && n.as_str() != ".." && n.as_str().len() <= 15);
    }
    let _ = pci::DevKey::parse(s);
    let _ = pci::virtfn_index(s);
    if let Some((name, value)) = s.split_once('=') {
        if let Ok(setting) = vfnet::vf::Setting::parse(name, value) {
            assert_eq!(vfnet::vf::Setting::parse(setting.name(), &setting.to_string()), Ok(setting));
        }
    }
});
