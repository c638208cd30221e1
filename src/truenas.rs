//! TrueNAS's init/shutdown scripts, the middleware's list that runs
//! vfnet at boot there: the entry vfnet registers (`midclt call
//! initshutdownscript.create`), and finding exactly that entry again in
//! the middleware's answer (`initshutdownscript.query`) to say it is
//! there, or to delete it (`initshutdownscript.delete ID`) on uninstall.
//!
//! An entry is vfnet's when it is a pre-init command whose command line is
//! the one vfnet would register for this config: an entry the admin made,
//! or one for another config, is never touched.

use crate::json::{self, Value};

/// The comment vfnet's entry carries (the web UI shows it).
pub const COMMENT: &str = "vfnet: SR-IOV VFs";

/// The `initshutdownscript.create` argument for `command`.
pub fn entry(command: &str) -> String {
    let mut entry = String::new();
    let mut o = json::Obj::new(&mut entry);
    o.str("type", "COMMAND")
        .str("command", command)
        .str("when", "PREINIT");
    o.bool("enabled", true)
        .num("timeout", Some(300))
        .str("comment", COMMENT);
    o.end();
    entry
}

/// One init/shutdown script as the middleware lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// Its id, what `initshutdownscript.delete` takes.
    pub id: i64,
    /// `COMMAND` or `SCRIPT`.
    pub kind: String,
    /// The command line, for a `COMMAND`.
    pub command: String,
    /// `PREINIT`, `POSTINIT` or `SHUTDOWN`.
    pub when: String,
}

/// The scripts in an `initshutdownscript.query` answer (a JSON array of
/// objects); `None` when it is not one. Entries without an id are left out.
pub fn scripts(answer: &str) -> Option<Vec<Script>> {
    let Value::Arr(items) = json::parse(answer)? else {
        return None;
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Some(
        items
            .iter()
            .filter_map(|v| {
                Some(Script {
                    id: v.get("id")?.as_int()?,
                    kind: text(v, "type"),
                    command: text(v, "command"),
                    when: text(v, "when"),
                })
            })
            .collect(),
    )
}

/// The ids of the entries that are vfnet's for `command`.
pub fn ours(scripts: &[Script], command: &str) -> Vec<i64> {
    scripts
        .iter()
        .filter(|s| s.kind == "COMMAND" && s.when == "PREINIT" && s.command == command)
        .map(|s| s.id)
        .collect()
}

/// What install (or, `remove`, uninstall) does with the middleware's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `initshutdownscript.create` with this argument.
    Create(String),
    /// `initshutdownscript.delete` of this id.
    Delete(i64),
    /// Registered already: nothing to do.
    Unchanged,
    /// Nothing of vfnet's to remove.
    Absent,
}

impl Step {
    /// The midclt command line of a step that runs one.
    pub fn argv(&self) -> Option<Vec<String>> {
        let (method, arg) = match self {
            Step::Create(e) => ("initshutdownscript.create", e.clone()),
            Step::Delete(id) => ("initshutdownscript.delete", id.to_string()),
            Step::Unchanged | Step::Absent => return None,
        };
        Some(vec!["midclt".into(), "call".into(), method.into(), arg])
    }

    /// What a step that runs nothing says, for `command`.
    pub fn said(&self, command: &str) -> String {
        match self {
            Step::Absent => crate::msg!("no TrueNAS pre-init command {} to remove\n", command),
            _ => crate::msg!("unchanged TrueNAS pre-init command {}\n", command),
        }
    }
}

/// The steps that bring the middleware's `scripts` to having vfnet's entry
/// for `command` (or, `remove`, to having none).
pub fn plan(scripts: &[Script], command: &str, remove: bool) -> Vec<Step> {
    let ids = ours(scripts, command);
    match (remove, ids.is_empty()) {
        (false, false) => vec![Step::Unchanged],
        (false, true) => vec![Step::Create(entry(command))],
        (true, true) => vec![Step::Absent],
        (true, false) => ids.into_iter().map(Step::Delete).collect(),
    }
}

/// Asks the middleware for its scripts (live systems only): `Err` says why
/// it could not.
pub fn query() -> Result<Vec<Script>, String> {
    let answer = crate::exec::output(&["midclt", "call", "initshutdownscript.query"])
        .map_err(|e| crate::msg!("midclt call initshutdownscript.query: {}", e))?;
    scripts(&answer).ok_or_else(|| {
        crate::msg!("midclt call initshutdownscript.query: its answer is not a list of scripts")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as TrueNAS SCALE gives it: vfnet's entry, the admin's own
    /// command that also runs vfnet, one for another config, a script.
    const ANSWER: &str = r#"[
      {"id": 1, "type": "COMMAND", "command": "/mnt/tank/vfnet/vfnet --config /mnt/tank/vfnet/vfnet.conf apply --wait 30", "script": null, "when": "PREINIT", "enabled": true, "timeout": 300, "comment": "vfnet: SR-IOV VFs"},
      {"id": 4, "type": "COMMAND", "command": "/mnt/tank/vfnet/vfnet --config /mnt/tank/vfnet/vfnet.conf apply --wait 30 && echo done", "when": "PREINIT", "comment": "mine"},
      {"id": 7, "type": "COMMAND", "command": "/mnt/tank/vfnet/vfnet --config /mnt/other.conf apply --wait 30", "when": "PREINIT", "comment": "vfnet: SR-IOV VFs"},
      {"id": 9, "type": "SCRIPT", "script": "/mnt/tank/x.sh", "when": "POSTINIT"},
      {"type": "COMMAND", "command": "no id"}
    ]"#;

    #[test]
    fn only_vfnets_own_entry_for_this_config_is_ours() {
        let all = scripts(ANSWER).unwrap();
        assert_eq!(all.len(), 4, "the entry without an id is left out");
        let cmd = "/mnt/tank/vfnet/vfnet --config /mnt/tank/vfnet/vfnet.conf apply --wait 30";
        assert_eq!(ours(&all, cmd), [1]);
        assert_eq!(ours(&all, "/mnt/x/vfnet apply"), Vec::<i64>::new());
        // A POSTINIT entry with the same command is not the pre-init one.
        let mut late = all.clone();
        late[0].when = "POSTINIT".into();
        assert_eq!(ours(&late, cmd), Vec::<i64>::new());
    }

    #[test]
    fn install_creates_once_and_uninstall_deletes_only_ours() {
        let all = scripts(ANSWER).unwrap();
        let cmd = "/mnt/tank/vfnet/vfnet --config /mnt/tank/vfnet/vfnet.conf apply --wait 30";
        assert_eq!(plan(&all, cmd, false), [Step::Unchanged]);
        assert_eq!(plan(&all, cmd, true), [Step::Delete(1)]);
        assert_eq!(plan(&[], cmd, false), [Step::Create(entry(cmd))]);
        assert_eq!(plan(&[], cmd, true), [Step::Absent]);
    }

    #[test]
    fn an_answer_that_is_not_a_list_is_none() {
        for bad in ["", "{}", "null", "[1", "error: connection refused"] {
            assert_eq!(scripts(bad), None, "{bad:?}");
        }
        assert_eq!(scripts("[]"), Some(vec![]));
    }

    #[test]
    fn the_entry_reads_back_as_ours() {
        let cmd = "'/mnt/my pool/vfnet' --config '/mnt/my pool/vfnet.conf' apply --wait 30";
        let e = entry(cmd);
        let with_id = format!("[{}]", e.replacen('{', "{\"id\":12,", 1));
        assert_eq!(ours(&scripts(&with_id).unwrap(), cmd), [12]);
        assert!(e.contains("\"comment\":\"vfnet: SR-IOV VFs\""));
    }
}
