//! What doctor reads: the kernel command line, IOMMU and vfio-pci, the
//! config, the boot glue, mlx4_core's and the GPU drivers' parameters, the
//! kernel log. Nothing here fails: what cannot be read is absent.

use super::*;

/// Reads everything [`check`] looks at. Nothing here fails: what cannot be
/// read is absent, and the checks say so.
pub fn gather(root: &Root, sys: &Dir, config_path: &std::path::Path, inv: Inventory) -> Facts {
    let count = |rel: &str| {
        let mut n = 0;
        if let Ok(d) = sys.open_dir(rel) {
            let _ = d.for_each_entry(|_| n += 1);
        }
        n
    };
    let mut group_peers = Vec::new();
    for vf in inv.vfs().map(|(_, v)| v) {
        let Some(g) = vf.iommu_group else { continue };
        let mut peers = Vec::new();
        if let Ok(d) = sys.open_dir(&crate::msg!("kernel/iommu_groups/{}/devices", g)) {
            let me = vf.addr.to_string();
            let _ = d.for_each_entry(|e| {
                if e != me {
                    peers.push(e.to_string())
                }
            });
        }
        peers.sort_unstable();
        group_peers.push((vf.addr, peers));
    }
    // Regular files only, capped: a tree's /proc may hold anything.
    let text = |p: &str| {
        crate::files::read_regular(&root.real(p), 64 << 20)
            .ok()
            .and_then(|(b, _)| String::from_utf8(b).ok())
    };
    let release = text("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let modules = crate::msg!("/lib/modules/{}", release);
    let vfio_available = !release.is_empty()
        && (text(&crate::msg!("{}/modules.builtin", modules))
            .is_some_and(|t| t.contains("/vfio-pci.ko"))
            || text(&crate::msg!("{}/modules.dep", modules))
                .is_some_and(|t| t.contains("/vfio-pci.ko")));
    // Every glue vfnet can install, wherever it is, not only the init
    // systems detected now (an install made before a switch counts).
    let boot = glue::ALL
        .into_iter()
        .filter_map(|i| match i {
            Init::Truenas => truenas_registered(root, config_path).map(|on| (i, on)),
            _ if i.files().is_empty() => None,
            _ => Some((i, i.files().iter().all(|f| root.real(f.path).exists()))),
        })
        .collect();
    let loaded = crate::conffile::load(root, config_path);
    let config_error = crate::conffile::explicit_problem(root, config_path, &loaded);
    let config = loaded.ok().filter(|c| c.source != config::Source::Missing);
    let param = |p: &str| crate::modules::param(root, crate::mlx4::MODULE, p);
    let mlx4 = inv
        .pfs
        .iter()
        .any(|p| p.count_at_load())
        .then(|| Mlx4Params {
            num_vfs: param("num_vfs"),
            probe_vf: param("probe_vf"),
            port_type_array: param("port_type_array"),
        });
    let mut facts = Facts {
        cmdline: text("/proc/cmdline").unwrap_or_default(),
        iommus: count("class/iommu"),
        groups: count("kernel/iommu_groups"),
        vfio_loaded: sys.exists("bus/pci/drivers/vfio-pci"),
        vfio_available,
        inv,
        group_peers,
        kmsg: kernel_log(root),
        config,
        boot,
        mlx4,
        gpu: Vec::new(),
        config_error,
        guest: crate::hypervisor::guest(root),
    };
    facts.gpu = gpus(root, &facts);
    facts
}

/// Each Intel GPU PF's driver parameters (in force, in modprobe.d, on the
/// kernel command line) and its GuC lines in the kernel log.
fn gpus(root: &Root, f: &Facts) -> Vec<crate::gpu::Facts> {
    let mut out = Vec::new();
    let mut files = None;
    for p in &f.inv.pfs {
        let Some(d) = p.driver.as_deref().filter(|d| crate::gpu::is_gpu(Some(d))) else {
            continue;
        };
        let params = crate::gpu::params(d);
        let mut modprobe = Vec::new();
        // Read once, for the first GPU.
        let files = files.get_or_insert_with(|| crate::modules::modprobe_files(root, ""));
        for (path, text) in files.iter() {
            for (n, name, value) in crate::modules::options(text, d) {
                if params.contains(&name.as_str()) {
                    modprobe.push((format!("{path}:{n}"), name, value));
                }
            }
        }
        let addr = p.addr.to_string();
        out.push(crate::gpu::Facts {
            addr: p.addr,
            driver: d.to_string(),
            total_vfs: p.total_vfs,
            wanted: f
                .config
                .as_ref()
                .and_then(|c| c.find(p.addr, &p.interfaces))
                .map(|e| e.count),
            in_force: params
                .iter()
                .map(|&n| (n, crate::modules::param(root, d, n)))
                .collect(),
            cmdline: f.cmdline.clone(),
            modprobe,
            guc: f.kmsg.as_ref().map(|k| {
                k.iter()
                    .filter(|l| l.contains("GuC") && l.contains(&addr))
                    .cloned()
                    .collect()
            }),
        });
    }
    out
}

/// Whether TrueNAS runs vfnet's pre-init command for this config (the one
/// `install --init truenas` registers: the binary next to the config);
/// `None` where there is no middleware to ask (no midclt, or under --root).
fn truenas_registered(root: &Root, config: &std::path::Path) -> Option<bool> {
    if !root.is_live() || !std::path::Path::new("/usr/bin/midclt").exists() {
        return None;
    }
    let config = config.to_str()?;
    let binary = format!(
        "{}/vfnet",
        crate::files::parent(std::path::Path::new(config)).display()
    );
    let cmd = glue::truenas_command(&binary, config).ok()?;
    let scripts = crate::truenas::query().ok()?;
    Some(!crate::truenas::ours(&scripts, &cmd).is_empty())
}

/// The kernel log's lines that mention PCI resources, SR-IOV or a GPU's
/// GuC.
fn kernel_log(root: &Root) -> Option<Vec<String>> {
    crate::kmsg::lines(root, |msg| {
        let l = msg.to_ascii_lowercase();
        l.contains("bar") || l.contains("iov") || l.contains("mmio") || l.contains("guc")
    })
}
