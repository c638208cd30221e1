//! `vfnet metrics`, read back by a real parser: the Prometheus project's
//! Python client (`prometheus_client`'s text parser, pip-installed once
//! into `target/prom-venv`; `VFNET_SKIP_ANSIBLE=1`, the switch for a
//! machine without PyPI, skips these too and says so). The QEMU suite's
//! scenario 28 reads the real igb's metrics the same way.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::*;

const CLIENT: &str = "prometheus_client==0.21.1";

fn python() -> Option<PathBuf> {
    if std::env::var_os("VFNET_SKIP_ANSIBLE").is_some_and(|v| v == "1") {
        eprintln!("skipped: VFNET_SKIP_ANSIBLE=1 (no PyPI: the metrics parser is not installed)");
        return None;
    }
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    Some(
        VENV.get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/prom-venv");
            let py = dir.join("bin/python3");
            let has = |py: &Path| {
                Command::new(py)
                    .args(["-c", "import prometheus_client"])
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !has(&py) {
                let ok = Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&dir)
                    .status();
                assert!(ok.is_ok_and(|s| s.success()), "python3 -m venv failed");
                let ok = Command::new(dir.join("bin/pip"))
                    .args(["install", "-q", "--disable-pip-version-check", CLIENT])
                    .status();
                assert!(ok.is_ok_and(|s| s.success()), "pip install {CLIENT} failed");
            }
            py
        })
        .clone(),
    )
}

/// The families the parser reads from `text`: name -> (type, samples as
/// [name, labels, value]). The parser refuses what the format does not allow.
fn parse(py: &Path, text: &str) -> serde_json::Map<String, Value> {
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    out[f.name] = [f.type, [[s.name, s.labels, s.value] for s in f.samples]]
print(json.dumps(out))
"#;
    let mut child = Command::new(py)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn samples<'a>(m: &'a serde_json::Map<String, Value>, family: &str) -> &'a Vec<Value> {
    m.get(family)
        .unwrap_or_else(|| panic!("no family {family}: {:?}", m.keys()))[1]
        .as_array()
        .unwrap()
}

#[test]
fn every_pf_and_vf_series_parses_with_its_values_and_labels() {
    let Some(py) = python() else { return };
    let tree = Tree::build(&x550t());
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:01:00.0=4\n").unwrap();
    let r = vfnet(tree.root(), &["metrics"]);
    r.code(0);
    let m = parse(&py, &r.stdout);
    assert_eq!(m["vfnet_pf_vfs"][0], "gauge");
    let vfs = samples(&m, "vfnet_pf_vfs");
    assert_eq!(vfs.len(), 2);
    assert_eq!(vfs[0][1]["pf"], "0000:01:00.0");
    assert_eq!(vfs[0][1]["interface"], "enp1s0f0");
    assert_eq!(vfs[0][2], 4.0);
    assert_eq!(samples(&m, "vfnet_pf_total_vfs")[1][2], 63.0);
    let conf = samples(&m, "vfnet_pf_configured_vfs");
    assert_eq!(conf.len(), 1, "only a configured PF: {conf:?}");
    let info = samples(&m, "vfnet_vf_info");
    assert_eq!(info.len(), 4);
    assert_eq!(info[2][1]["vf"], "2");
    assert_eq!(info[2][1]["pci"], "0000:02:10.4");
    assert_eq!(info[2][1]["driver"], "ixgbevf");
    // A tree without /proc cannot tell who uses a VF: no in-use series
    // (never "free"), and the user label says it is unknown.
    assert!(!m.contains_key("vfnet_vf_in_use"), "{:?}", m.keys());
    assert_eq!(info[0][1]["used_by"], "unknown");
    assert_eq!(m["vfnet_vf_rx_bytes"][0], "counter");
    assert!(
        samples(&m, "vfnet_scrape_duration_seconds")[0][2]
            .as_f64()
            .unwrap()
            >= 0.0
    );
}

#[test]
fn a_capture_gives_settings_and_users_and_hostile_names_come_back_exact() {
    let Some(py) = python() else { return };
    let held = unpack_capture("igb-vf1-held");
    let r = vfnet(held.path(), &["metrics"]);
    r.code(0);
    let m = parse(&py, &r.stdout);
    let used = samples(&m, "vfnet_vf_in_use");
    assert!(used.iter().any(|s| s[2] == 1.0), "{used:?}");
    assert!(used.iter().any(|s| s[2] == 0.0), "{used:?}");
    let settings = unpack_capture("igb-vf0-settings");
    let m = parse(&py, &vfnet(settings.path(), &["metrics"]).code(0).stdout);
    let s = samples(&m, "vfnet_vf_settings_info");
    assert!(!s.is_empty());
    assert!(s.iter().all(|s| s[1].get("spoofchk").is_some()), "{s:?}");
    // A driver name with a quote, a backslash and a newline-free escape.
    let tree = Tree::build(&x550t());
    let drv = tree.path("sys/bus/pci/drivers/e\"v\\il");
    std::fs::create_dir_all(&drv).unwrap();
    let link = tree.vf_dir("0000:01:00.0", 1).join("driver");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink("../../../../bus/pci/drivers/e\"v\\il", &link).unwrap();
    let r = vfnet(tree.root(), &["metrics"]);
    assert!(r.stdout.contains(r#"driver="e\"v\\il""#), "{}", r.stdout);
    let m = parse(&py, &r.stdout);
    assert_eq!(samples(&m, "vfnet_vf_info")[1][1]["driver"], "e\"v\\il");
}

#[test]
fn textfile_writes_vfnet_prom_whole_and_a_missing_directory_is_one_line() {
    let Some(py) = python() else { return };
    let tree = Tree::build(&x550t());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let r = vfnet(tree.root(), &["metrics", "--textfile", d]);
    r.code(0);
    assert_eq!(r.stdout, "", "written, not printed");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["vfnet.prom"], "no temporary file is left");
    let text = std::fs::read_to_string(dir.path().join("vfnet.prom")).unwrap();
    assert!(parse(&py, &text).contains_key("vfnet_vf_info"));
    vfnet(tree.root(), &["metrics", "--textfile", "/nonexistent/dir"])
        .code(1)
        .err_has("--textfile /nonexistent/dir: no such directory");
}

/// The README's metrics example: the demo tree's output begins with it.
#[test]
fn readme_metrics() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(top.join("README.md")).unwrap();
    let block = readme
        .split("<!-- checked: tests/metrics.rs readme_metrics -->\n```\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the README's metrics block");
    let mut lines = block.lines();
    assert_eq!(
        lines.next(),
        Some("$ VFNET_ROOT=demo/x550t vfnet metrics | head -n 14")
    );
    let shown: Vec<&str> = lines.collect();
    assert_eq!(shown.len(), 14);
    let r = vfnet(&top.join("demo/x550t"), &["metrics"]);
    let got: Vec<&str> = r.code(0).stdout.lines().take(shown.len()).collect();
    assert_eq!(got, shown);
}
