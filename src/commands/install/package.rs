//! install beside the vfnet package: its files (dpkg's list of them) are
//! used as they are, never replaced by vfnet's copies nor removed.

use super::Task;

/// The files the vfnet package installed (dpkg's list of them).
pub const LIST: &str = "/var/lib/dpkg/info/vfnet.list";

/// `steps` beside the vfnet package, whose files are `owned` (one path a
/// line): a file vfnet would write where the package has one of the same
/// name in a directory of the same name (`system/vfnet.service`, from
/// /usr/lib rather than /etc; `sbin/vfnet`, from /usr) is not written, and
/// links point at the package's; a file the package owns is never removed.
/// Also the package's files used instead, for the user.
pub fn packaged(steps: Vec<Task>, owned: &str) -> (Vec<Task>, Vec<String>) {
    let tail = |p: &str| {
        let cut = p.rfind('/').and_then(|i| p[..i].rfind('/'));
        p[cut.unwrap_or(0)..].to_string()
    };
    let theirs = |p: &str| {
        owned
            .lines()
            .find(|o| o.ends_with(&tail(p)))
            .map(str::to_string)
    };
    let mut used: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    for t in steps {
        match &t {
            Task::Binary(p) | Task::Write { path: p, .. } | Task::File { path: p, .. } => {
                if let Some(o) = theirs(p) {
                    used.push((p.clone(), o));
                    continue;
                }
            }
            Task::Remove { path, .. } if owned.lines().any(|o| o == path) => continue,
            _ => {}
        }
        out.push(t);
    }
    for t in &mut out {
        if let Task::Link { target, .. } = t {
            if let Some((_, o)) = used.iter().find(|(p, _)| p == target) {
                *target = o.clone();
            }
        }
    }
    (out, used.into_iter().map(|(_, o)| o).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_PATH;
    use crate::glue::Init;

    #[test]
    fn beside_the_package_its_files_are_used_and_never_removed() {
        let owned = "/.\n/usr\n/usr/sbin\n/usr/sbin/vfnet\n/usr/lib/systemd/system/vfnet.service\n\
                     /usr/share/initramfs-tools/hooks/vfnet\n\
                     /usr/lib/dracut/modules.d/90vfnet/module-setup.sh\n";
        let steps = super::super::plan(&[Init::Systemd, Init::InitramfsTools], DEFAULT_PATH, false)
            .unwrap();
        let (steps, used) = packaged(steps, owned);
        assert_eq!(
            used,
            [
                "/usr/sbin/vfnet",
                "/usr/lib/systemd/system/vfnet.service",
                "/usr/share/initramfs-tools/hooks/vfnet"
            ]
        );
        let l = super::super::tests::lines(&steps);
        assert!(
            l.contains(&"link /etc/systemd/system/sysinit.target.wants/vfnet.service -> /usr/lib/systemd/system/vfnet.service".to_string()),
            "{l:?}"
        );
        // The boot script the package lacks is still written.
        assert!(
            l.iter()
                .any(|s| s.contains("/etc/initramfs-tools/scripts/init-premount/vfnet")),
            "{l:?}"
        );
        assert!(
            !l.iter().any(|s| s.contains("/usr/local/sbin/vfnet")),
            "{l:?}"
        );
        // Removing: the package's own paths stay, vfnet's go.
        let steps = super::super::plan(&[Init::Dracut, Init::Systemd], DEFAULT_PATH, true).unwrap();
        let (steps, _) = packaged(steps, owned);
        let l = super::super::tests::lines(&steps);
        assert!(
            !l.iter().any(|s| s.contains("90vfnet/module-setup.sh")),
            "{l:?}"
        );
        assert!(
            l.iter().any(|s| s.contains("90vfnet/vfnet-apply.sh")),
            "{l:?}"
        );
        assert!(
            l.iter()
                .any(|s| s.contains("remove /etc/systemd/system/vfnet.service")),
            "{l:?}"
        );
    }
}
