//! The config parser: any text parses (bad lines are kept as bad lines),
//! rendering gives back the same bytes, and recording an entry keeps every
//! other line.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use vfnet::config::{Config, Line, VfSel};
use vfnet::pci::PciAddr;

fuzz_target!(|data: &[u8]| {
    // Any bytes: invalid UTF-8 spoils its own line only.
    let cfg = Config::parse(PathBuf::from("/f"), data);
    assert_eq!(cfg.render(), data);
    let _ = cfg.errors().count();
    let _ = cfg.vf_entries().count();
    // Recording a count replaces or adds one entry; the other lines stay.
    let addr = PciAddr::parse("0000:01:00.0").unwrap();
    let mut changed = cfg.clone();
    changed.set(addr, &[], 3);
    let again = Config::parse(PathBuf::from("/f"), &changed.render());
    assert_eq!(again.find(addr, &[]).map(|e| e.count), Some(3));
    let others = |c: &Config| -> Vec<Vec<u8>> {
        c.lines
            .iter()
            .filter(|l| !matches!(l, Line::Count { key: vfnet::pci::DevKey::Pci(a), .. } if *a == addr))
            .filter(|l| !matches!(l, Line::Other(raw) if raw.trim_ascii() == b"#" || raw.starts_with(b"# ")))
            .map(|l| l.raw().strip_suffix(b"\n").unwrap_or(l.raw()).to_vec())
            .collect()
    };
    assert_eq!(others(&cfg), others(&again));
    let mut vf = cfg.clone();
    vf.set_vf(addr, &[], VfSel::One(2), vfnet::vf::Setting::parse("vlan", "7").unwrap());
    assert_eq!(Config::parse(PathBuf::from("/f"), &vf.render()).render(), vf.render());
});
