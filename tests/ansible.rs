//! The Ansible collection (collections/ansible_collections/vfnet/vfnet) on a
//! fleet of 8 hosts at once: each host is a fake tree with its own fake
//! kernel, reached by the local connection with the modules' `root`.
//!
//! A real `ansible-playbook` (ansible-core from PyPI, in a virtualenv this
//! test creates under target/) runs a playbook that gives every host 2 VFs
//! on enp1s0f1, then reads the facts. Hosts 1-4 need the change, hosts 5-7
//! already have it, host 8 has a bad entry in its config. Check mode must
//! change nothing and predict the real run; the real run changes exactly
//! hosts 1-4 and fails host 8's task alone; a second run changes nothing;
//! the facts are each tree's.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::*;

const HOSTS: usize = 8;
/// 2.17: its ansible-test bootstraps pip 23.1.2 (see [`GET_PIP`]).
const ANSIBLE_CORE: &str = "ansible-core>=2.17,<2.18";

/// A virtualenv with ansible-core, made once (the tests share it) and kept
/// under target/.
///
/// `VFNET_SKIP_ANSIBLE=1` skips these tests (a machine without PyPI, a
/// quick local run), saying so on stderr; CI never sets it.
fn venv() -> Option<PathBuf> {
    if std::env::var_os("VFNET_SKIP_ANSIBLE").is_some_and(|v| v == "1") {
        eprintln!(
            "skipped: VFNET_SKIP_ANSIBLE=1 (the Ansible collection is not tested in this run)"
        );
        return None;
    }
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    Some(VENV.get_or_init(make_venv).clone())
}

fn make_venv() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ansible-venv");
    if dir.join("bin/ansible-playbook").exists() {
        return dir;
    }
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 -m venv failed (Debian: apt-get install python3-venv)"
    );
    let ok = Command::new(dir.join("bin/pip"))
        .args(["install", "-q", "--disable-pip-version-check", ANSIBLE_CORE])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "pip install {ANSIBLE_CORE} failed (it needs PyPI)");
    dir
}

const PLAYBOOK: &str = r#"
- hosts: fleet
  gather_facts: false
  tasks:
    - name: 2 VFs on enp1s0f1
      vfnet.vfnet.vfnet_config:
        binary: "{{ vfnet_bin }}"
        root: "{{ vfnet_root }}"
        pf: enp1s0f1
        count: 2
        apply: true
      register: vfs
    - name: facts
      vfnet.vfnet.vfnet_facts:
        binary: "{{ vfnet_bin }}"
        root: "{{ vfnet_root }}"
    - name: keep what each host said
      ansible.builtin.copy:
        content: "{{ {'vfs': vfs, 'facts': ansible_facts.vfnet} | to_json }}"
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
      delegate_to: localhost
      check_mode: false
      changed_when: false
"#;

/// One run of the playbook: its exit status, stdout, and each host's
/// results (none for a host whose first task failed).
struct PlayRun {
    code: i32,
    stdout: String,
    results: Vec<Option<Value>>,
    seconds: f64,
}

fn play(venv: &Path, work: &Path, trees: &[Tree], extra: &[&str]) -> PlayRun {
    play_book(venv, work, trees, PLAYBOOK, extra)
}

fn play_book(venv: &Path, work: &Path, trees: &[Tree], book: &str, extra: &[&str]) -> PlayRun {
    let out_dir = work.join("out");
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let group = if book.contains("hosts: vmhosts") {
        "vmhosts"
    } else {
        "fleet"
    };
    let mut inv = format!("[{group}]\n");
    for (i, t) in trees.iter().enumerate() {
        inv.push_str(&format!("h{} vfnet_root={}\n", i + 1, t.root().display()));
    }
    inv.push_str(&format!(
        "[{group}:vars]\nansible_connection=local\nansible_python_interpreter={}\nvfnet_bin={}\nout_dir={}\n",
        venv.join("bin/python").display(),
        env!("CARGO_BIN_EXE_vfnet"),
        out_dir.display()
    ));
    std::fs::write(work.join("inventory.ini"), inv).unwrap();
    std::fs::write(work.join("playbook.yml"), book).unwrap();
    let collections = Path::new(env!("CARGO_MANIFEST_DIR")).join("collections");
    let start = Instant::now();
    let out = Command::new(venv.join("bin/ansible-playbook"))
        .current_dir(work)
        .args(["-i", "inventory.ini", "playbook.yml"])
        .args(extra)
        .env("ANSIBLE_COLLECTIONS_PATH", &collections)
        .env("ANSIBLE_FORKS", HOSTS.to_string())
        .env("ANSIBLE_LOCAL_TEMP", work.join("tmp"))
        .env("ANSIBLE_REMOTE_TMP", work.join("tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_HOST_KEY_CHECKING", "0")
        .env("ANSIBLE_LOCALHOST_WARNING", "0")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "0")
        .env("HOME", work)
        .output()
        .unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let results = (1..=trees.len())
        .map(|h| {
            std::fs::read_to_string(out_dir.join(format!("h{h}.json")))
                .ok()
                .map(|t| serde_json::from_str(&t).unwrap())
        })
        .collect();
    PlayRun {
        code: out.status.code().unwrap_or(-1),
        stdout,
        results,
        seconds,
    }
}

/// `changed=N` of host `h` in the play recap.
fn recap(run: &PlayRun, h: usize, what: &str) -> u32 {
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("h{h} ")) && l.contains(" ok="))
        .unwrap_or_else(|| panic!("no recap for h{h}:\n{}", run.stdout));
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{what}=")))
        .unwrap()
        .parse()
        .unwrap()
}

/// Which hosts' vfnet_config task said changed.
fn changed(run: &PlayRun) -> Vec<usize> {
    (1..=HOSTS)
        .filter(|h| {
            run.results[h - 1]
                .as_ref()
                .is_some_and(|r| r["vfs"]["changed"] == true)
        })
        .collect()
}

#[test]
fn a_fleet_of_8_hosts_check_mode_predicts_the_run_and_the_second_run_changes_nothing() {
    let Some(venv) = venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let trees: Vec<Tree> = (0..HOSTS).map(|_| Tree::build(&x550t())).collect();
    let kernels: Vec<FakeKernel> = trees
        .iter()
        .map(|t| FakeKernel::start(t, KernelOpts::default()))
        .collect();
    // Hosts 5-7 already have 2 VFs, recorded as the module records them.
    for t in &trees[4..7] {
        vfnet(t.root(), &["set", "enp1s0f1", "2"]).code(0);
        vfnet(t.root(), &["persist", "enp1s0f1", "2"]).code(0);
    }
    // Host 8's config has an entry for a device it does not have.
    let conf8 = trees[7].path("etc/vfnet/vfnet.conf");
    let mut text = std::fs::read_to_string(&conf8).unwrap_or_default();
    text.push_str("eth42=1\n");
    std::fs::write(&conf8, text).unwrap();
    let writes_before: Vec<usize> = kernels.iter().map(|k| k.writes().len()).collect();
    let before: Vec<_> = trees.iter().map(|t| snapshot(t.root())).collect();

    // Check mode: the prediction, and nothing changed anywhere.
    let check = play(&venv, work.path(), &trees, &["--check", "--diff"]);
    assert_eq!(check.code, 2, "host 8 fails:\n{}", check.stdout);
    for (i, t) in trees.iter().enumerate() {
        assert_eq!(
            diff(&before[i], &snapshot(t.root())),
            Vec::<String>::new(),
            "h{}",
            i + 1
        );
        assert_eq!(kernels[i].writes().len(), writes_before[i], "h{}", i + 1);
    }
    assert_eq!(changed(&check), [1, 2, 3, 4]);
    assert!(
        check.stdout.contains("+0000:01:00.1=2"),
        "the diff:\n{}",
        check.stdout
    );
    let predicted: Vec<Value> = check.results[..7]
        .iter()
        .map(|r| r.as_ref().unwrap()["vfs"]["apply"]["entries"].clone())
        .collect();

    // The real run: exactly what check mode said; host 8 fails alone.
    let real = play(&venv, work.path(), &trees, &[]);
    println!(
        "ansible-playbook on {HOSTS} hosts (local connection, fake trees): {:.2} s real run, {:.2} s check mode",
        real.seconds, check.seconds
    );
    assert_eq!(real.code, 2, "{}", real.stdout);
    assert_eq!(changed(&real), changed(&check));
    for h in 1..=7 {
        let r = real.results[h - 1].as_ref().unwrap();
        let entries = &r["vfs"]["apply"]["entries"];
        for (p, d) in predicted[h - 1]
            .as_array()
            .unwrap()
            .iter()
            .zip(entries.as_array().unwrap())
        {
            assert_eq!(
                (&p["status"], &p["after"]),
                (&d["status"], &d["after"]),
                "h{h}: predicted {p} did {d}"
            );
        }
        assert_eq!(recap(&real, h, "failed"), 0);
        assert_eq!(recap(&real, h, "changed"), u32::from(h <= 4));
        assert_eq!(trees[h - 1].vfs("0000:01:00.1").len(), 2, "h{h}");
    }
    assert_eq!(recap(&real, 8, "failed"), 1);
    assert!(real.results[7].is_none(), "host 8 stops at its failed task");
    assert!(
        real.stdout
            .contains("no network interface eth42 on this system now"),
        "vfnet's message is the task's:\n{}",
        real.stdout
    );
    // Host 8's good entry was still applied.
    assert_eq!(trees[7].vfs("0000:01:00.1").len(), 2);

    // Idempotence: nothing changes the second time.
    let again = play(&venv, work.path(), &trees, &[]);
    assert!(changed(&again).is_empty(), "{}", again.stdout);
    for h in 1..=HOSTS {
        assert_eq!(recap(&again, h, "changed"), 0, "h{h}");
    }

    // The facts are each tree's.
    for h in 1..=7 {
        let facts = &again.results[h - 1].as_ref().unwrap()["facts"];
        for pf in facts["pfs"].as_array().unwrap() {
            let addr = pf["pci"].as_str().unwrap();
            assert_eq!(
                pf["num_vfs"],
                Value::from(trees[h - 1].vfs(addr).len()),
                "h{h} {addr}"
            );
        }
        assert_eq!(
            facts["vfs"].as_array().unwrap().len(),
            trees[h - 1].vfs("0000:01:00.0").len() + 2
        );
    }
}

const ROLE_PLAYBOOK: &str = r#"
- hosts: fleet
  gather_facts: false
  roles:
    - role: vfnet.vfnet.vfnet
      vars:
        # vfnet_root comes from the inventory: each host's tree.
        vfnet_binary_src: "{{ vfnet_bin }}"
        vfnet_install_args: ["--init", "systemd"]
        vfnet_pfs:
          - pf: enp1s0f1
            count: 3
          - pf: "0000:01:00.0"
            count: 4
"#;

#[test]
fn the_role_installs_the_binary_and_boot_glue_records_and_applies_and_a_rerun_changes_nothing() {
    let Some(venv) = venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let trees: Vec<Tree> = (0..2).map(|_| Tree::build(&x550t())).collect();
    let _kernels: Vec<FakeKernel> = trees
        .iter()
        .map(|t| FakeKernel::start(t, KernelOpts::default()))
        .collect();
    // Check mode on fresh hosts: the binary is only pretended to be
    // copied, so nothing that would run it runs; nothing changes, and the
    // play says why it predicts no further.
    let before: Vec<_> = trees.iter().map(|t| snapshot(t.root())).collect();
    let check = play_book(&venv, work.path(), &trees, ROLE_PLAYBOOK, &["--check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(
        check.stdout.contains("is not on the host yet"),
        "{}",
        check.stdout
    );
    for (t, b) in trees.iter().zip(&before) {
        assert_eq!(diff(b, &snapshot(t.root())), Vec::<String>::new());
    }
    let first = play_book(&venv, work.path(), &trees, ROLE_PLAYBOOK, &["-v"]);
    assert_eq!(first.code, 0, "{}", first.stdout);
    // Both PFs recorded by one task, and the config applied once for both.
    assert_eq!(
        first
            .stdout
            .matches("TASK [vfnet.vfnet.vfnet : Record the PFs' VFs")
            .count(),
        1,
        "{}",
        first.stdout
    );
    assert_eq!(
        first.stdout.matches("\"exit_status_means\"").count(),
        2,
        "one apply document per host:\n{}",
        first.stdout
    );
    for (i, t) in trees.iter().enumerate() {
        let h = i + 1;
        assert!(t.path("usr/local/sbin/vfnet").is_file(), "h{h}: the binary");
        assert!(
            t.path("etc/systemd/system/sysinit.target.wants/vfnet.service")
                .symlink_metadata()
                .is_ok()
                && t.path("etc/systemd/system/vfnet.service").is_file(),
            "h{h}: the unit, enabled"
        );
        let conf = std::fs::read_to_string(t.path("etc/vfnet/vfnet.conf")).unwrap();
        assert!(conf.contains("\n0000:01:00.1=3\n"), "h{h}: {conf}");
        assert_eq!(t.vfs("0000:01:00.1").len(), 3, "h{h}");
        assert_eq!(t.vfs("0000:01:00.0").len(), 4, "h{h}");
        assert!(recap(&first, h, "changed") >= 3, "{}", first.stdout);
    }
    let again = play_book(&venv, work.path(), &trees, ROLE_PLAYBOOK, &[]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    for h in 1..=2 {
        assert_eq!(recap(&again, h, "changed"), 0, "h{h}:\n{}", again.stdout);
    }
    // New counts for both PFs: check mode predicts each on the config as
    // the one before leaves it, changes nothing, and the run does it.
    let more = ROLE_PLAYBOOK
        .replace("count: 3", "count: 5")
        .replace("count: 4", "count: 6");
    let before: Vec<_> = trees.iter().map(|t| snapshot(t.root())).collect();
    let check = play_book(&venv, work.path(), &trees, &more, &["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    for (i, (t, b)) in trees.iter().zip(&before).enumerate() {
        assert_eq!(diff(b, &snapshot(t.root())), Vec::<String>::new());
        assert!(recap(&check, i + 1, "changed") >= 1, "{}", check.stdout);
    }
    assert!(
        check.stdout.contains("+0000:01:00.1=5") && check.stdout.contains("+0000:01:00.0=6"),
        "both PFs in the predicted diff:\n{}",
        check.stdout
    );
    let run = play_book(&venv, work.path(), &trees, &more, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    for t in &trees {
        assert_eq!(t.vfs("0000:01:00.1").len(), 5);
        assert_eq!(t.vfs("0000:01:00.0").len(), 6);
    }
}

/// `name=dict(` keys at `indent` spaces in a module's source: its
/// argument_spec (or the vfs item's options).
fn spec_keys(src: &str, indent: usize) -> Vec<String> {
    let prefix = " ".repeat(indent);
    let mut keys: Vec<String> = src
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_once("=dict(").map(|(k, _)| k.to_string()))
        .filter(|k| k != "argument_spec")
        .filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    keys.sort();
    keys
}

#[test]
fn ansible_doc_reads_each_modules_documentation_and_it_names_every_option() {
    let Some(venv) = venv() else { return };
    let collections = Path::new(env!("CARGO_MANIFEST_DIR")).join("collections");
    let out = Command::new(venv.join("bin/ansible-doc"))
        .args([
            "--json",
            "-t",
            "module",
            "vfnet.vfnet.vfnet_config",
            "vfnet.vfnet.vfnet_facts",
        ])
        .env("ANSIBLE_COLLECTIONS_PATH", &collections)
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let modules = collections.join("ansible_collections/vfnet/vfnet/plugins/modules");
    for (name, file) in [
        ("vfnet_config", "vfnet_config.py"),
        ("vfnet_facts", "vfnet_facts.py"),
    ] {
        let doc = &docs[format!("vfnet.vfnet.{name}")];
        let src = std::fs::read_to_string(modules.join(file)).unwrap();
        let mut documented: Vec<String> = doc["doc"]["options"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        documented.sort();
        assert_eq!(documented, spec_keys(&src, 12), "{name}: options");
        assert!(
            doc["return"].is_object() && doc["examples"].is_string(),
            "{name}"
        );
        if name == "vfnet_config" {
            let mut sub: Vec<String> = doc["doc"]["options"]["vfs"]["suboptions"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            sub.sort();
            assert_eq!(sub, spec_keys(&src, 8), "{name}: vfs suboptions");
        }
    }
}

/// What ansible-test runs to put pip in each sanity test's virtualenv,
/// instead of downloading get-pip.py from ci-files.testing.ansible.com
/// (out of reach behind some proxies): pip from the interpreter's own
/// ensurepip, then pip as asked. ansible-test runs pip with an emptied
/// environment; where the system's CA bundle exists (a TLS-inspecting
/// proxy needs it), each venv is told to use it.
const GET_PIP: &str = r#"import ensurepip
import os
import site
import sys

CERT = '/etc/ssl/certs/ca-certificates.crt'
if os.path.exists(CERT):
    for d in site.getsitepackages():
        if d.startswith(sys.prefix) and os.path.isdir(d):
            with open(os.path.join(d, 'sitecustomize.py'), 'w') as f:
                f.write("import os\nos.environ.setdefault('PIP_CERT', %r)\n" % CERT)
            break
ensurepip.bootstrap(upgrade=True)
os.execv(sys.executable, [sys.executable, '-m', 'pip', 'install'] + sys.argv[1:])
"#;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn the_collection_passes_ansible_test_sanity() {
    let Some(venv) = venv() else { return };
    let version = Command::new(venv.join("bin/python"))
        .args(["-c", "import ansible.release as r; print(r.__version__)"])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    assert!(
        version.starts_with("2.17."),
        "GET_PIP is for ansible-core 2.17, not {version}"
    );
    let python = Command::new(venv.join("bin/python"))
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .unwrap();
    let python = String::from_utf8_lossy(&python.stdout).trim().to_string();
    // ansible-test wants the collection at ansible_collections/NS/NAME, and
    // outside a git checkout it tests every file there.
    let work = tempfile::tempdir().unwrap();
    let col = work.path().join("ansible_collections/vfnet/vfnet");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("collections/ansible_collections/vfnet/vfnet"),
        &col,
    );
    // Its virtualenvs are kept between runs, under target/.
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ansible-test-home");
    std::fs::create_dir_all(home.join(".ansible/test/cache")).unwrap();
    std::fs::write(home.join(".ansible/test/cache/get_pip_23_1_2.py"), GET_PIP).unwrap();
    let start = Instant::now();
    let out = Command::new(venv.join("bin/ansible-test"))
        .args(["sanity", "--python", &python, "--color", "no"])
        .current_dir(&col)
        .env("HOME", &home)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "ansible-test sanity: {:.1} s",
        start.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "{text}");
    // Every test ran: none was skipped for want of requirements.
    for t in [
        "validate-modules",
        "ansible-doc",
        "pylint",
        "pep8",
        "yamllint",
        "import",
    ] {
        assert!(
            text.contains(&format!("Running sanity test \"{t}\"")),
            "{t} did not run:\n{text}"
        );
    }
}

#[test]
fn the_readme_playbook_runs_as_written_in_check_mode() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme.split("## Fleets").nth(1).unwrap();
    let book = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    assert!(book.contains("count: 8") && book.contains("mac: auto") && book.contains("vfio-pci"));
    // Pointed at a fake tree: the binary and the root, nothing else changed.
    let book = book.replace(
        "        pf: enp1s0f0\n",
        "        pf: enp1s0f0\n        binary: \"{{ vfnet_bin }}\"\n        root: \"{{ vfnet_root }}\"\n",
    );
    let Some(venv) = venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let trees = vec![Tree::build(&x550t())];
    let before = snapshot(trees[0].root());
    let run = play_book(
        &venv,
        work.path(),
        &trees,
        &format!("{book}\n"),
        &["--check", "--diff"],
    );
    // Under --root there is no kernel for the VF settings: check mode says
    // they would fail, as the real run's apply then does (tests/parity.rs).
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(recap(&run, 1, "failed"), 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("not available under --root"),
        "{}",
        run.stdout
    );
    // The config as it would be written (the failed task's result).
    let planned =
        r"0000:01:00.0=8\n0000:01:00.0.vfs.mac=auto\n0000:01:00.0.vf0-3.driver=vfio-pci\n";
    assert!(run.stdout.contains(planned), "{}", run.stdout);
    assert_eq!(
        diff(&before, &snapshot(trees[0].root())),
        Vec::<String>::new()
    );
}

const ABSENT_PLAYBOOK: &str = r#"
- hosts: fleet
  gather_facts: false
  tasks:
    - name: forget enp1s0f1
      vfnet.vfnet.vfnet_config:
        binary: "{{ vfnet_bin }}"
        root: "{{ vfnet_root }}"
        pf: enp1s0f1
        state: absent
"#;

#[test]
fn state_absent_removes_a_pfs_entries_once_and_check_mode_predicts_it() {
    let Some(venv) = venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let trees = vec![Tree::build(&x550t())];
    let conf = trees[0].path("etc/vfnet/vfnet.conf");
    std::fs::write(
        &conf,
        "# lab\n0000:01:00.0=4\n# enp1s0f1\n0000:01:00.1=2\nenp1s0f1.vfs.trust=on\n",
    )
    .unwrap();
    let check = play_book(
        &venv,
        work.path(),
        &trees,
        ABSENT_PLAYBOOK,
        &["--check", "--diff"],
    );
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert_eq!(recap(&check, 1, "changed"), 1);
    assert!(check.stdout.contains("-0000:01:00.1=2"), "{}", check.stdout);
    assert!(
        std::fs::read_to_string(&conf)
            .unwrap()
            .contains("0000:01:00.1=2")
    );
    let run = play_book(&venv, work.path(), &trees, ABSENT_PLAYBOOK, &[]);
    assert_eq!(recap(&run, 1, "changed"), 1, "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        "# lab\n0000:01:00.0=4\n"
    );
    let again = play_book(&venv, work.path(), &trees, ABSENT_PLAYBOOK, &[]);
    assert_eq!(recap(&again, 1, "changed"), 0, "{}", again.stdout);
}

/// `eswitch:` records `PF.eswitch=MODE` after the PF's count (the count
/// left as recorded when only the mode is given), and a rerun changes
/// nothing.
#[test]
fn the_config_module_records_an_eswitch_mode() {
    let Some(venv) = venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let trees = vec![Tree::build(&x550t())];
    let book = r#"
- hosts: fleet
  gather_facts: false
  tasks:
    - name: switchdev for enp1s0f1
      vfnet.vfnet.vfnet_config:
        binary: "{{ vfnet_bin }}"
        root: "{{ vfnet_root }}"
        pf: enp1s0f1
        eswitch: switchdev
"#;
    vfnet(trees[0].root(), &["persist", "enp1s0f1", "2"]).code(0);
    let first = play_book(&venv, work.path(), &trees, book, &[]);
    assert_eq!(first.code, 0, "{}", first.stdout);
    assert_eq!(recap(&first, 1, "changed"), 1, "{}", first.stdout);
    let conf = std::fs::read_to_string(trees[0].path("etc/vfnet/vfnet.conf")).unwrap();
    assert!(
        conf.ends_with("0000:01:00.1=2\n0000:01:00.1.eswitch=switchdev\n"),
        "{conf}"
    );
    let again = play_book(&venv, work.path(), &trees, book, &[]);
    assert_eq!(recap(&again, 1, "changed"), 0, "{}", again.stdout);
}

/// Check mode predicts the run on a host whose VF is held by a VM: the
/// count change the config asks for would destroy it, so check mode fails
/// the task as the real run then does, naming the VFs in use, and the busy
/// PF keeps its VFs.
#[test]
fn check_mode_fails_where_the_run_fails_on_a_vf_in_use() {
    let Some(venv) = venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let trees = vec![busy_host()];
    let _k = FakeKernel::start(&trees[0], KernelOpts::default());
    let book = r#"
- hosts: fleet
  gather_facts: false
  tasks:
    - name: 2 VFs on the busy PF
      vfnet.vfnet.vfnet_config:
        binary: "{{ vfnet_bin }}"
        root: "{{ vfnet_root }}"
        pf: enp1s0f0
        count: 2
        apply: true
"#;
    let check = play_book(&venv, work.path(), &trees, book, &["--check"]);
    let run = play_book(&venv, work.path(), &trees, book, &[]);
    for (what, r) in [("check mode", &check), ("run", &run)] {
        assert_eq!(r.code, 2, "{what}:\n{}", r.stdout);
        assert_eq!(recap(r, 1, "failed"), 1, "{what}:\n{}", r.stdout);
        assert!(
            r.stdout.contains("skipped: 3 VFs in use"),
            "{what}:\n{}",
            r.stdout
        );
    }
    assert_eq!(trees[0].vfs(BUSY_PF).len(), 4);
}

/// A value the user gives never becomes an option of vfnet's: `pf: --help`
/// is refused in one line, and nothing changes.
#[test]
fn a_pf_that_looks_like_an_option_is_refused() {
    let Some(venv) = venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let trees = vec![Tree::build(&x550t())];
    let conf = trees[0].path("etc/vfnet/vfnet.conf");
    let before = std::fs::read_to_string(&conf).unwrap_or_default();
    let book = r#"
- hosts: fleet
  gather_facts: false
  tasks:
    - name: an option for a PF
      vfnet.vfnet.vfnet_config:
        binary: "{{ vfnet_bin }}"
        root: "{{ vfnet_root }}"
        pf: --help
        count: 2
"#;
    let run = play_book(&venv, work.path(), &trees, book, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(recap(&run, 1, "changed"), 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("pf must be an interface name or a PCI address"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_to_string(&conf).unwrap_or_default(), before);
}

/// Mistakes an Ansible user makes get a message that says what to do: an
/// unquoted PCI address (YAML's sexagesimal number), a binary that is not
/// there; and apply's errors come once each, without vfnet's prefix.
#[test]
fn module_mistakes_name_their_fix_and_errors_come_once() {
    let Some(venv) = venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let trees = vec![Tree::build(&x550t())];
    let book = r#"
- hosts: fleet
  gather_facts: false
  tasks:
    - name: an unquoted PCI address
      vfnet.vfnet.vfnet_config:
        binary: "{{ vfnet_bin }}"
        root: "{{ vfnet_root }}"
        pf: 0000:01:00.1
        count: 2
      ignore_errors: true
    - name: no binary there
      vfnet.vfnet.vfnet_facts:
        binary: /nonexistent/vfnet
      ignore_errors: true
    - name: VF settings under --root fail, once per message
      vfnet.vfnet.vfnet_config:
        binary: "{{ vfnet_bin }}"
        root: "{{ vfnet_root }}"
        pf: enp1s0f0
        vfs: [{vf: all, mac: auto}]
        apply: true
        timeout: 5
      ignore_errors: true
"#;
    let run = play_book(&venv, work.path(), &trees, book, &[]);
    let out = &run.stdout;
    assert!(
        out.contains("is a number: YAML reads an unquoted PCI address"),
        "{out}"
    );
    assert!(
        out.contains("no vfnet binary at /nonexistent/vfnet: install it"),
        "{out}"
    );
    let msg = out
        .split("\"msg\": \"vfnet apply: ")
        .nth(1)
        .and_then(|m| m.split('"').next())
        .unwrap_or_else(|| panic!("no apply failure:\n{out}"));
    assert_eq!(
        msg, "VF settings go through the kernel's rtnetlink: not available under --root",
        "the same error once, four VFs"
    );
}

/// `pfs: []` with `apply: true` is an apply-only task (for a handler): the
/// config as it is, applied; nothing recorded.
#[test]
fn an_empty_pfs_list_applies_the_config_as_it_is() {
    let Some(venv) = venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let trees = vec![Tree::build(&x550t())];
    let _k = FakeKernel::start(&trees[0], KernelOpts::default());
    std::fs::write(trees[0].path("etc/vfnet/vfnet.conf"), "0000:01:00.1=2\n").unwrap();
    let book = r#"
- hosts: fleet
  gather_facts: false
  tasks:
    - name: apply only
      vfnet.vfnet.vfnet_config:
        binary: "{{ vfnet_bin }}"
        root: "{{ vfnet_root }}"
        pfs: []
        apply: true
"#;
    let run = play_book(&venv, work.path(), &trees, book, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(recap(&run, 1, "changed"), 1, "{}", run.stdout);
    assert_eq!(trees[0].vfs("0000:01:00.1").len(), 2);
    assert_eq!(
        std::fs::read_to_string(trees[0].path("etc/vfnet/vfnet.conf")).unwrap(),
        "0000:01:00.1=2\n",
        "nothing recorded"
    );
}
