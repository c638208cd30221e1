//! Running the vfnet binary against a tree, and golden files.
//!
//! `vfnet(root, args)` runs the binary built by cargo for this test with
//! `--root root`, a clean environment for vfnet's own variables, and a fixed
//! `COLUMNS`, and returns its exit status and output. `golden(name, text)`
//! compares `text` with `tests/golden/NAME`; run with `UPDATE_GOLDEN=1` to
//! rewrite the files, then review the diff like code.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a vfnet run did.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit status, showing the output when it differs.
    #[track_caller]
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(
            self.code, want,
            "exit status; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts stderr is exactly one line containing `want`.
    #[track_caller]
    /// stderr has a progress line (no `vfnet:` prefix) starting with `want`.
    pub fn progress_has(&self, want: &str) -> &Self {
        assert!(
            self.stderr.lines().any(|l| l.starts_with(want)),
            "stderr lacks a progress line {want:?}:\n{}",
            self.stderr
        );
        self
    }

    pub fn one_error(&self, want: &str) -> &Self {
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "want one line on stderr, got:\n{}",
            self.stderr
        );
        assert!(self.stderr.starts_with("vfnet: "), "{}", self.stderr);
        assert!(
            self.stderr.contains(want),
            "stderr lacks {want:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn out_has(&self, want: &str) -> &Self {
        assert!(
            self.stdout.contains(want),
            "stdout lacks {want:?}:\n{}",
            self.stdout
        );
        self
    }

    /// stdout has `want` once its notes' line breaks are undone (notes are
    /// filled to the width: words split by single spaces).
    #[track_caller]
    pub fn words_have(&self, want: &str) -> &Self {
        let words = self.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains(want),
            "stdout lacks {want:?}:\n{}",
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn err_has(&self, want: &str) -> &Self {
        assert!(
            self.stderr.contains(want),
            "stderr lacks {want:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// The binary under test: cargo's build, or `VFNET_TEST_BIN` (the aarch64
/// release build, say, run under `VFNET_TEST_RUNNER=qemu-aarch64-static`).
pub fn bin() -> PathBuf {
    match std::env::var_os("VFNET_TEST_BIN").filter(|b| !b.is_empty()) {
        Some(b) => std::fs::canonicalize(&b).unwrap_or_else(|_| PathBuf::from(b)),
        None => PathBuf::from(env!("CARGO_BIN_EXE_vfnet")),
    }
}

/// The command that runs the binary under test: itself, or, with
/// `VFNET_TEST_NO_OPENAT2=1` (`=eperm`), through `examples/no_openat2`,
/// whose seccomp filter makes `openat2` answer ENOSYS (EPERM) as on a
/// kernel before 5.6 (in a container runtime): the `--root` sandbox must
/// hold there too (`src/chase.rs`). CI runs the suite both ways.
pub fn base() -> Command {
    if let Some(runner) = std::env::var_os("VFNET_TEST_RUNNER").filter(|r| !r.is_empty()) {
        let mut c = Command::new(runner);
        c.arg(bin());
        return c;
    }
    let how = std::env::var("VFNET_TEST_NO_OPENAT2").unwrap_or_default();
    if how.is_empty() || how == "0" {
        return Command::new(bin());
    }
    let wrapper = PathBuf::from(env!("CARGO_BIN_EXE_vfnet"))
        .parent()
        .unwrap()
        .join("examples/no_openat2");
    assert!(
        wrapper.exists(),
        "VFNET_TEST_NO_OPENAT2 needs {} (cargo test builds it)",
        wrapper.display()
    );
    let mut c = Command::new(wrapper);
    if how == "eperm" {
        c.arg("--eperm");
    }
    c.arg(bin());
    c
}

/// A vfnet command on `root`, environment cleaned of vfnet's variables.
pub fn command(root: &Path, args: &[&str]) -> Command {
    let mut c = base();
    c.arg("--root").arg(root).args(args);
    c.env_remove("VFNET_ROOT")
        .env_remove("VFNET_CONFIG")
        .env("COLUMNS", "250");
    c.stdin(Stdio::null());
    c
}

/// Runs vfnet on `root` with `args`.
pub fn vfnet(root: &Path, args: &[&str]) -> Run {
    output(command(root, args))
}

/// The warning `install` gives when the binary it copies is dynamically
/// linked, as cargo's debug build is.
pub const DYNAMIC_WARNING: &str = "vfnet: warning: this vfnet is dynamically linked: ";

/// Runs a prepared command. The debug build's own install warning (it is
/// dynamically linked: `DYNAMIC_WARNING`) is taken out of stderr, so that
/// the tests read what any build prints; `tests/install.rs` checks that
/// warning itself, with `output_raw`.
pub fn output(c: Command) -> Run {
    let mut r = output_raw(c);
    if r.stderr.contains(DYNAMIC_WARNING) {
        r.stderr = r
            .stderr
            .lines()
            .filter(|l| !l.starts_with(DYNAMIC_WARNING))
            .map(|l| format!("{l}\n"))
            .collect();
    }
    r
}

/// Runs a prepared command; stderr as it is.
pub fn output_raw(mut c: Command) -> Run {
    let out = c.output().expect("run vfnet");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Compares `actual` with the golden file `tests/golden/NAME`.
#[track_caller]
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if want != actual {
        let first = want.lines().zip(actual.lines()).position(|(a, b)| a != b);
        panic!(
            "{} differs from the output (first differing line: {:?}); run with UPDATE_GOLDEN=1 \
             and review the diff.\n--- golden\n{want}\n--- actual\n{actual}",
            path.display(),
            first.map(|i| i + 1)
        );
    }
}

/// Whether this test runs as root (then other uids can be tried).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}
