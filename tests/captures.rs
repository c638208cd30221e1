//! Real machines, captured (`vfnet capture`, see tests/captures/README.md):
//! `vfnet --root` on each unpacked capture lists exactly what vfnet listed
//! live on that machine, in JSON and as tables.

mod support;

use std::path::Path;
use support::*;

#[test]
fn every_capture_replays_as_it_was_listed_live() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures");
    let mut checked = 0;
    for machine in std::fs::read_dir(&base).unwrap() {
        let machine = machine.unwrap().path();
        if !machine.is_dir() {
            continue;
        }
        let mut states: Vec<_> = std::fs::read_dir(&machine)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".tar.gz").map(str::to_string)
            })
            .collect();
        states.sort();
        for state in states {
            let dir = tempfile::tempdir().unwrap();
            let st = std::process::Command::new("tar")
                .arg("-xzf")
                .arg(machine.join(format!("{state}.tar.gz")))
                .arg("-C")
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(st.success(), "{state}: tar");
            for (kind, args) in [
                ("json", &["list", "--json"][..]),
                ("all.json", &["list", "--all", "--json"]),
                ("txt", &["list"]),
            ] {
                let want =
                    std::fs::read_to_string(machine.join(format!("{state}.{kind}"))).unwrap();
                let r = vfnet(dir.path(), args);
                r.code(0);
                assert_eq!(
                    r.stdout,
                    want,
                    "{}/{state}: vfnet {args:?}",
                    machine.display()
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 15,
        "only {checked} comparisons: the fixtures are missing"
    );
}

/// An InfiniBand PF's VF GUIDs, as a capture records what the kernel
/// reported (`vfinfo/PF`: `node_guid=` and `port_guid=`), come back in
/// list's settings column, `vfnet vf` and the JSON; a VF with none set
/// shows none.
#[test]
fn captured_guids_show_in_list_vf_and_the_json() {
    let tree = Tree::build(&x550t());
    let dir = tree.path("vfnet-capture/vfinfo");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("0000:01:00.0"),
        "vf=0 mac=00:00:00:00:00:00 vlan=0 qos=0 node_guid=7e:03:00:a1:b2:c0:00:00 port_guid=7e:03:00:a1:b2:c0:00:00\n\
         vf=1 mac=00:00:00:00:00:00 vlan=0 qos=0 node_guid=00:00:00:00:00:00:00:00 port_guid=00:00:00:00:00:00:00:00\n",
    )
    .unwrap();
    let r = vfnet(tree.root(), &["list", "--json"]);
    r.code(0)
        .out_has(
            "\"node_guid\":\"7e:03:00:a1:b2:c0:00:00\",\"port_guid\":\"7e:03:00:a1:b2:c0:00:00\"",
        )
        .out_has("\"node_guid\":null,\"port_guid\":null");
    vfnet(tree.root(), &["list"])
        .code(0)
        .out_has("guid 7e:03:00:a1:b2:c0:00:00");
    vfnet(tree.root(), &["vf", "enp1s0f0", "0-1"])
        .code(0)
        .out_has("  node_guid 7e:03:00:a1:b2:c0:00:00\n  port_guid 7e:03:00:a1:b2:c0:00:00\n")
        .out_has("  node_guid - (none set)\n");
}
