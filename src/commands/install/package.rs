//! install beside the vfnet package (scripts/build-deb): its files are used
//! as they are, never replaced by vfnet's own copies nor removed.

use super::Task;
use crate::glue::BINARY;

/// Present when the vfnet package is installed: its own directory, where
/// vfnet install never writes (dpkg's database is dpkg's own business).
pub const MARKER: &str = "/usr/share/vfnet";

/// What the package has in place of what install writes: (install's path,
/// the package's), as scripts/build-deb lays them out (`tests/install.rs`
/// holds the two to each other).
pub const FILES: [(&str, &str); 7] = [
    (BINARY, "/usr/sbin/vfnet"),
    (
        "/etc/systemd/system/vfnet.service",
        "/usr/lib/systemd/system/vfnet.service",
    ),
    (
        "/etc/systemd/system/vfnet-fdb.service",
        "/usr/lib/systemd/system/vfnet-fdb.service",
    ),
    (
        "/etc/initramfs-tools/hooks/vfnet",
        "/usr/share/initramfs-tools/hooks/vfnet",
    ),
    (
        "/etc/initramfs-tools/scripts/init-premount/vfnet",
        "/usr/share/initramfs-tools/scripts/init-premount/vfnet",
    ),
    (DRACUT_SETUP, DRACUT_SETUP),
    (DRACUT_APPLY, DRACUT_APPLY),
];
const DRACUT_SETUP: &str = "/usr/lib/dracut/modules.d/90vfnet/module-setup.sh";
const DRACUT_APPLY: &str = "/usr/lib/dracut/modules.d/90vfnet/vfnet-apply.sh";

/// `steps` beside the package: a file it has in place of one install would
/// write is not written, and links to that one point at the package's; a
/// file the package owns is never removed. Returns the package's files
/// used instead, for the user.
pub fn packaged(steps: &mut Vec<Task>) -> Vec<&'static str> {
    let mut used = Vec::new();
    steps.retain(|t| match t {
        Task::Binary(p) | Task::Write { path: p, .. } => match FILES.iter().find(|f| f.0 == p) {
            Some(f) => {
                used.push(*f);
                false
            }
            None => true,
        },
        Task::Remove { path, .. } => !FILES.iter().any(|f| f.1 == path),
        _ => true,
    });
    for t in steps.iter_mut() {
        if let Task::Link { target, .. } = t {
            if let Some(f) = used.iter().find(|f| f.0 == target) {
                *target = f.1.into();
            }
        }
    }
    used.into_iter().map(|f| f.1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_PATH;
    use crate::glue::Init;

    fn lines(steps: &[Task]) -> Vec<String> {
        super::super::tests::lines(steps)
    }

    #[test]
    fn beside_the_package_its_files_are_used_and_never_removed() {
        let mut steps =
            super::super::plan(&[Init::Systemd, Init::InitramfsTools], DEFAULT_PATH, false)
                .unwrap();
        let used = packaged(&mut steps);
        assert_eq!(
            used,
            [
                "/usr/sbin/vfnet",
                "/usr/lib/systemd/system/vfnet.service",
                "/usr/share/initramfs-tools/hooks/vfnet",
                "/usr/share/initramfs-tools/scripts/init-premount/vfnet",
            ]
        );
        let l = lines(&steps);
        assert!(
            l.contains(
                &"link /etc/systemd/system/sysinit.target.wants/vfnet.service -> /usr/lib/systemd/system/vfnet.service"
                    .to_string()
            ),
            "{l:?}"
        );
        assert!(
            !l.iter().any(|s| s.contains("/usr/local/sbin/vfnet")),
            "{l:?}"
        );
        // The config and the refresh stay.
        assert!(l.contains(&"config".to_string()), "{l:?}");
        assert!(l.contains(&"refresh initramfs-tools".to_string()), "{l:?}");
        // Removing: the package's own paths stay, vfnet's go.
        let mut steps =
            super::super::plan(&[Init::Dracut, Init::Systemd], DEFAULT_PATH, true).unwrap();
        packaged(&mut steps);
        let l = lines(&steps);
        assert!(
            !l.iter().any(|s| s.contains("90vfnet/module-setup.sh")),
            "{l:?}"
        );
        assert!(
            l.iter()
                .any(|s| s.contains("remove /etc/dracut.conf.d/vfnet.conf")),
            "{l:?}"
        );
        assert!(
            l.iter()
                .any(|s| s.contains("remove /etc/systemd/system/vfnet.service")),
            "{l:?}"
        );
    }
}
