//! The README's "JSON documents" section is the schema: every object each
//! command prints has exactly the fields the README lists for its path, in
//! that order, and every path the README lists is seen (the traffic
//! counters, live only, are checked by a unit test in src/render.rs).

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use support::*;

/// The schema block: path -> field names.
fn schema() -> BTreeMap<String, Vec<String>> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker =
        "<!-- checked: tests/json_schema.rs every_document_has_exactly_the_readme_fields -->";
    let at = readme
        .find(marker)
        .expect("the README lost its JSON schema block");
    let block = readme[at..].split("```").nth(1).unwrap();
    block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (path, fields) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("bad schema line {l:?}"));
            (
                path.to_string(),
                fields.split(' ').map(str::to_string).collect(),
            )
        })
        .collect()
}

/// Every object in `v` by path (`list.vfs[].settings`), with its keys in order.
fn objects(path: &str, v: &Value, out: &mut Vec<(String, Vec<String>)>) {
    match v {
        Value::Object(m) => {
            out.push((path.to_string(), m.keys().cloned().collect()));
            for (k, v) in m {
                objects(&format!("{path}.{k}"), v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| objects(&format!("{path}[]"), v, out)),
        _ => {}
    }
}

fn doc(r: &support::run::Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", r.stdout))
}

#[test]
fn every_document_has_exactly_the_readme_fields() {
    let schema = schema();
    // (schema name, document) pairs, from every command that prints one.
    let mut docs: Vec<(&str, Value)> = Vec::new();
    let x550t = Tree::build(&x550t());
    let settings = unpack_capture("igb-vf0-settings");
    let held = unpack_capture("igb-vf1-held");
    for root in [x550t.root(), settings.path(), held.path()] {
        docs.push(("list", doc(&vfnet(root, &["list", "--json"]))));
        docs.push(("list", doc(&vfnet(root, &["list", "--all", "--json"]))));
    }
    docs.push((
        "list",
        doc(&vfnet(x550t.root(), &["list", "enp1s0f0", "--json"])),
    ));
    docs.push((
        "list",
        doc(&vfnet(settings.path(), &["vf", "eth0", "0-1", "--json"])),
    ));
    docs.push((
        "vf-free",
        doc(vfnet(held.path(), &["vf", "eth0", "free", "--json"]).code(0)),
    ));
    std::fs::write(
        x550t.path("etc/vfnet/vfnet.conf"),
        "0000:01:00.0=4\nenp1s0f1=2\neth9=1\nenp1s0f1.vfs.mac=auto\n0000:01:00.0.eswitch=legacy\nnonsense\n",
    )
    .unwrap();
    docs.push((
        "apply",
        doc(&vfnet(x550t.root(), &["apply", "--dry-run", "--json"])),
    ));
    docs.push((
        "apply",
        doc(&vfnet(
            x550t.root(),
            &["set", "enp1s0f0", "2", "--dry-run", "--json"],
        )),
    ));
    docs.push((
        "apply",
        doc(&vfnet(x550t.root(), &["set", "eth9", "2", "--json"])),
    ));
    docs.push((
        "apply",
        doc(&vfnet(held.path(), &["set", "eth0", "2", "--json"])),
    ));
    docs.push((
        "apply",
        doc(&vfnet(
            x550t.root(),
            &["persist", "enp1s0f0", "4", "--dry-run", "--json"],
        )),
    ));
    docs.push((
        "apply",
        doc(&vfnet(
            x550t.root(),
            &["persist", "enp1s0f1", "--vf", "vf0.trust=on", "--json"],
        )),
    ));
    docs.push(("doctor", doc(&vfnet(x550t.root(), &["doctor", "--json"]))));
    docs.push(("doctor", doc(&vfnet(held.path(), &["doctor", "--json"]))));

    let mut seen = std::collections::BTreeSet::new();
    for (name, d) in &docs {
        assert_eq!(d["version"], 1, "{name}: version");
        let mut all = Vec::new();
        objects(name, d, &mut all);
        for (path, keys) in all {
            // A VF record's settings objects are keyed by setting name.
            let dynamic = ["before", "wanted", "after"]
                .iter()
                .any(|k| path == format!("apply.entries[].{k}"));
            if dynamic {
                continue;
            }
            // vf-free's nested objects are list's VF objects.
            let key = path.replacen("vf-free.", "list.vfs[].", 1);
            let want = schema.get(&key).unwrap_or_else(|| {
                panic!("{name}: the README does not document the object at {path}: {keys:?}")
            });
            assert_eq!(&keys, want, "{name}: fields of {path}");
            seen.insert(key);
        }
    }
    for path in schema.keys() {
        if path == "list.vfs[].settings.stats" {
            continue; // live only: src/render.rs tests it against this README line
        }
        if path.starts_with("fdb") {
            continue; // a kernel's bridges: tests/fdb.rs checks them against these lines
        }
        assert!(seen.contains(path), "no command printed {path}");
    }
}

#[test]
fn set_and_persist_json_records_say_what_happened() {
    let tree = Tree::build(&x550t());
    // set: the planner's status, the kernel's count before and after.
    let r = vfnet(
        tree.root(),
        &["set", "enp1s0f0", "2", "--dry-run", "--json"],
    );
    let d = doc(r.code(0));
    let e = &d["entries"][0];
    assert_eq!(
        (&e["kind"], &e["pci"]),
        (&"count".into(), &"0000:01:00.0".into())
    );
    assert_eq!(
        (&e["before"], &e["wanted"], &e["after"]),
        (&4.into(), &2.into(), &2.into())
    );
    assert_eq!(
        (&e["status"], &d["dry_run"]),
        (&"changed".into(), &true.into())
    );
    let same = doc(vfnet(tree.root(), &["set", "enp1s0f0", "4", "--json"]).code(0));
    assert_eq!(same["entries"][0]["status"], "unchanged");
    assert_eq!(same["config"], Value::Null);
    let held = unpack_capture("igb-vf1-held");
    let r = vfnet(held.path(), &["set", "eth0", "2", "--json"]);
    let d = doc(r.code(1));
    assert_eq!(d["entries"][0]["status"], "in_use");
    assert_eq!(d["entries"][0]["after"], 3, "nothing changed");
    assert_eq!(d["exit_status"], 1);
    assert!(r.stderr.contains("1 VF in use"), "{}", r.stderr);
    // persist: the config's count before and after.
    let d = doc(vfnet(tree.root(), &["persist", "enp1s0f0", "2", "--json"]).code(0));
    let e = &d["entries"][0];
    assert_eq!(
        (&e["before"], &e["after"], &e["status"]),
        (&4.into(), &2.into(), &"changed".into())
    );
    let conf = std::fs::read_to_string(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    assert!(conf.contains("0000:01:00.0=2"), "{conf}");
    let again = doc(vfnet(tree.root(), &["persist", "enp1s0f0", "2", "--json"]).code(0));
    assert_eq!(again["entries"][0]["status"], "unchanged");
}
