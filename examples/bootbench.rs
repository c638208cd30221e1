//! Boot apply against slow drivers, timed: for 1, 2 and 4 PFs of 128 VFs
//! each on the fake kernel's slow profile (a VF every PER_VF ms, its driver
//! PROBE ms later), runs `VFNET apply --wait 30` as the boot services do and
//! prints the wall time, each PF's time and what the PFs would take one
//! after another. `scripts/bench` runs it; by hand:
//!
//! `cargo run --release --example bootbench -- target/x86_64-unknown-linux-musl/release/vfnet [PER_VF PROBE]`

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use support::{FakeKernel, KernelOpts, Tree, many};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(bin) = args.first() else {
        eprintln!("usage: bootbench VFNET [PER_VF_MS PROBE_MS]");
        return ExitCode::from(2);
    };
    let ms = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (per_vf, probe) = (ms(1, 20), ms(2, 10));
    println!(
        "boot apply, PFs of 128 VFs, a VF every {per_vf} ms and its driver {probe} ms later (fake kernel):"
    );
    println!(
        "{:>4} {:>10} {:>12} {:>16}  each PF (s)",
        "PFs", "wall s", "slowest PF s", "one by one s"
    );
    for pfs in [1u32, 2, 4] {
        let tree = Tree::build(&many(pfs, 0));
        let conf: String = tree
            .machine()
            .pfs()
            .map(|f| format!("{}=128\n", f.addr))
            .collect();
        std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
        std::fs::write(tree.path("etc/vfnet/vfnet.conf"), conf).unwrap();
        let kernel = FakeKernel::start(
            &tree,
            KernelOpts::slow(Duration::from_millis(per_vf), Duration::from_millis(probe)),
        );
        let start = Instant::now();
        let out = Command::new(bin)
            .arg("--root")
            .arg(tree.root())
            .args(["apply", "--wait", "30"])
            .env_remove("VFNET_ROOT")
            .stdin(Stdio::null())
            .output()
            .expect("run vfnet");
        let wall = start.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            eprintln!(
                "bootbench: apply failed on {pfs} PFs:\n{stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            return ExitCode::FAILURE;
        }
        // `enp1s0f0 (0000:01:00.0): 0 -> 128 VFs in 2.61 s.`
        let each = support::vf_times(&stdout);
        let slowest = each.iter().cloned().fold(0.0, f64::max);
        let sum: f64 = each.iter().sum();
        let list: Vec<String> = each.iter().map(|t| format!("{t:.2}")).collect();
        println!(
            "{pfs:>4} {wall:>10.2} {slowest:>12.2} {sum:>16.2}  {}",
            list.join(" ")
        );
        kernel.wait_idle(Duration::from_secs(10));
    }
    ExitCode::SUCCESS
}
