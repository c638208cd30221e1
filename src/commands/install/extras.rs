//! The VM host's glue, on request: the `vfnet fdb --watch` service
//! (`--fdb-sync`), the metrics refresh (`--metrics DIR`) and the VM hooks
//! (`--hooks`), as tasks added to install's plan.

use super::{Args, Task};
use crate::error::{Error, Result};
use crate::glue::{self, Init};

/// `--hooks`' VM hooks (uninstall: each named, else every one).
pub(super) fn hook_tasks(steps: &mut Vec<Task>, args: &Args, config: &str) -> Result<()> {
    for (i, &(_, path)) in glue::HOOKS.iter().enumerate() {
        if !(args.hooks.contains(&i) || args.remove && args.hooks.is_empty()) {
            continue;
        }
        steps.push(match args.remove {
            true => Task::Remove {
                path: path.into(),
                init: None,
            },
            false => {
                let file = glue::hook(path);
                Task::File {
                    path: path.into(),
                    text: glue::text(&file, config).map_err(Error::fail)?.into_owned(),
                    mode: file.mode,
                }
            }
        });
    }
    Ok(())
}

/// `--fdb-sync`'s service for each init system among `inits` that runs
/// services (uninstall: removed with that glue), before the refresh
/// commands (`systemctl daemon-reload` reads it).
pub(super) fn fdb_service(
    steps: &mut Vec<Task>,
    inits: &[Init],
    args: &Args,
    config: &str,
) -> Result<()> {
    if !args.remove && !args.fdb_sync {
        return Ok(());
    }
    let mut at = steps
        .iter()
        .position(|s| matches!(s, Task::Refresh(_)))
        .unwrap_or(steps.len());
    let services: Vec<(Init, (glue::File, glue::EnableLink))> = inits
        .iter()
        .filter_map(|&i| glue::fdb_service(i).map(|s| (i, s)))
        .collect();
    if services.is_empty() && args.fdb_sync {
        return Err(Error::fail(
            "--fdb-sync needs a service manager: --init systemd or --init openrc (or auto, where one runs): nothing was written",
        ));
    }
    for (init, (file, link)) in services {
        let tasks = match args.remove {
            true => vec![
                Task::Remove {
                    path: link.path.into(),
                    init: Some(init),
                },
                Task::Remove {
                    path: file.path.into(),
                    init: Some(init),
                },
            ],
            false => vec![
                Task::Write {
                    path: file.path.into(),
                    text: glue::text(&file, config)
                        .map_err(|why| {
                            Error::fail(crate::msg!("--fdb-sync: {}: nothing was written", why))
                        })?
                        .into_owned(),
                    mode: file.mode,
                    init,
                },
                Task::Link {
                    path: link.path.into(),
                    target: link.target.into(),
                    init,
                },
            ],
        };
        for t in tasks {
            steps.insert(at, t);
            at += 1;
        }
    }
    Ok(())
}

/// `--metrics DIR`'s timer (systemd) or cron line (OpenRC), for each such
/// init system among `inits` (uninstall: removed with that glue), before
/// the refresh commands.
pub(super) fn metrics_tasks(
    steps: &mut Vec<Task>,
    inits: &[Init],
    args: &Args,
    config: &str,
) -> Result<()> {
    let dir = match (&args.metrics, args.remove) {
        (Some(d), false) => d.as_str(),
        (None, true) => "/",
        _ => return Ok(()),
    };
    let mut at = steps
        .iter()
        .position(|s| matches!(s, Task::Refresh(_)))
        .unwrap_or(steps.len());
    let mut any = false;
    for &init in inits {
        let found = glue::metrics_files(init, dir, config)
            .map_err(|why| Error::fail(crate::msg!("--metrics: {}: nothing was written", why)))?;
        let Some((files, link)) = found else { continue };
        any = true;
        let mut tasks = Vec::new();
        if let Some(l) = link {
            tasks.push(match args.remove {
                true => Task::Remove {
                    path: l.path.into(),
                    init: Some(init),
                },
                false => Task::Link {
                    path: l.path.into(),
                    target: l.target.into(),
                    init,
                },
            });
        }
        for (path, text, mode) in files {
            tasks.push(match args.remove {
                true => Task::Remove {
                    path: path.into(),
                    init: Some(init),
                },
                false => Task::Write {
                    path: path.into(),
                    text,
                    mode,
                    init,
                },
            });
        }
        if !args.remove && !tasks.is_empty() && matches!(tasks[0], Task::Link { .. }) {
            // The files before the link that enables them.
            tasks.rotate_left(1);
        }
        for t in tasks {
            steps.insert(at, t);
            at += 1;
        }
    }
    if !any && !args.remove {
        return Err(Error::fail(
            "--metrics needs systemd (a timer) or OpenRC (a cron line): nothing was written",
        ));
    }
    Ok(())
}
