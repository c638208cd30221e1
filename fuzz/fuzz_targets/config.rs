//! The config parser: any text parses (bad lines are kept as bad lines),
//! rendering gives back the same bytes, and recording an entry keeps every
//! other line.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use vfnet::config::{Config, Line, VfSel};
use vfnet::pci::PciAddr;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let cfg = Config::parse(PathBuf::from("/f"), text);
    assert_eq!(cfg.render(), text);
    let _ = cfg.errors().count();
    let _ = cfg.vf_entries().count();
    // Recording a count replaces or adds one entry; the other lines stay.
    let addr = PciAddr::parse("0000:01:00.0").unwrap();
    let mut changed = cfg.clone();
    changed.set(addr, &[], 3);
    let again = Config::parse(PathBuf::from("/f"), &changed.render());
    assert_eq!(again.find(addr, &[]).map(|e| e.count), Some(3));
    let others = |c: &Config| -> Vec<String> {
        c.lines
            .iter()
            .filter(|l| !matches!(l, Line::Count { key: vfnet::pci::DevKey::Pci(a), .. } if *a == addr))
            .filter(|l| !matches!(l, Line::Other(raw) if raw.trim() == "#" || raw.starts_with("# ")))
            .map(|l| l.raw().trim_end_matches('\n').to_string())
            .collect()
    };
    assert_eq!(others(&cfg), others(&again));
    let mut vf = cfg.clone();
    vf.set_vf(addr, &[], VfSel::One(2), vfnet::vf::Setting::parse("vlan", "7").unwrap());
    assert_eq!(Config::parse(PathBuf::from("/f"), &vf.render()).render(), vf.render());
});
