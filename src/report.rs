//! The outcome of a change, entry by entry: the failures counted per config
//! line, and the one document shape `apply --json`, `set --json` and
//! `persist --json` print (one record per entry, with its status and its
//! values before, wanted and after).

use crate::config::Line;
use crate::pci::PciAddr;

/// What went wrong in a run, counted per config entry (a line), plus the
/// failures that belong to no line.
#[derive(Debug, Default)]
pub struct Failures {
    /// The failed lines, sorted, each once.
    lines: Vec<usize>,
    /// Failures of no line.
    pub other: usize,
}

impl Failures {
    /// Counts a failure of config line `line` (once however often).
    pub fn add(&mut self, line: usize) {
        if let Err(at) = self.lines.binary_search(&line) {
            self.lines.insert(at, line);
        }
    }

    /// The closing sentence, given how many entries the file has: `1 of 2
    /// config entries failed (line 3); the others were applied`.
    pub fn summary(&self, total: usize, dry_run: bool) -> Option<String> {
        let n = self.lines.len();
        if n == 0 && self.other == 0 {
            return None;
        }
        let mut msg = if n == 0 {
            crate::msg!(
                "{} outside the config entries",
                crate::out::plural(self.other, "failure", "failures")
            )
        } else {
            let which: Vec<String> = self.lines.iter().map(|l| l.to_string()).collect();
            crate::msg!(
                "{} of {} config entries failed (line{} {})",
                n,
                total,
                if n == 1 { "" } else { "s" },
                which.join(", ")
            )
        };
        if !dry_run && n < total {
            msg.push_str(if n == 0 {
                "; the config entries were applied"
            } else {
                "; the others were applied"
            });
        }
        Some(msg)
    }
}

/// What became of one config entry (or of the entries one VF draws from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Changed (with `--dry-run`: would change).
    Changed,
    /// Already as configured.
    Unchanged,
    /// Tried and failed (the record's `error` says why).
    Failed,
    /// Not tried: the time budget ran out first.
    Skipped,
    /// Not done: the change would destroy VFs in use (the guard).
    InUse,
}

impl Status {
    /// Its name in `apply --json`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::InUse => "in_use",
        }
    }

    const ALL: [Status; 5] = [
        Status::Changed,
        Status::Unchanged,
        Status::Failed,
        Status::Skipped,
        Status::InUse,
    ];
}

/// The values of one record: a VF count, or one VF's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    /// `KEY=N`: the count before, wanted, and after (or would be after).
    Count {
        /// The count before apply.
        before: Option<u32>,
        /// The count the entry asks for.
        wanted: Option<u32>,
        /// The count after apply (with `--dry-run`: would be).
        after: Option<u32>,
    },
    /// The settings a VF's lines ask for, and those that changed (or
    /// would change). `before` and `after` are the VF's rtnetlink settings
    /// among them as the kernel reported them before and after (with
    /// `--dry-run`, `after` is what they would be); `None` when the PF's
    /// view could not be read.
    Vf {
        /// The settings asked for (`mac auto`, `vlan 7`).
        wanted: Vec<String>,
        /// What changed (or would change).
        changes: Vec<String>,
        /// The settings as the kernel reported them before.
        before: Option<Vec<String>>,
        /// The settings after (with `--dry-run`: would be).
        after: Option<Vec<String>>,
    },
    /// `KEY.eswitch=MODE`: the PF's eswitch mode before, wanted, after
    /// (`None`: not reported, or not known).
    Eswitch {
        /// As devlink reported it before.
        before: Option<crate::devlink::Mode>,
        /// The mode the line asks for.
        wanted: crate::devlink::Mode,
        /// After apply (with `--dry-run`: would be).
        after: Option<crate::devlink::Mode>,
    },
    /// `KEY.fdb_sync=yes`: how many of the MACs behind the PF's bridges
    /// were in its table before and after (with `--dry-run`: would be),
    /// of how many wanted, and each MAC added or removed.
    Fdb {
        /// In the table before (`None`: not read).
        before: Option<u32>,
        /// Behind the bridges.
        wanted: Option<u32>,
        /// In the table after.
        after: Option<u32>,
        /// `add MAC`, `remove MAC`.
        changes: Vec<String>,
    },
    /// A line that names no device apply could act on.
    None,
}

/// One entry of `apply --json`'s document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The config lines it stems from (1-based).
    pub lines: Vec<usize>,
    /// The PF it acts on, when one was found.
    pub device: Option<PciAddr>,
    /// The VF index, for a VF's settings.
    pub vf: Option<u32>,
    /// The values before, wanted and after.
    pub values: Values,
    /// What became of it.
    pub status: Status,
    /// Why it failed or was not done.
    pub error: Option<String>,
}

/// The whole `apply --json` document. `error` is what stopped apply as a
/// whole (no document without it is ever partial).
pub struct Report<'a> {
    /// The config file's path, as shown (`None`: the command reads none).
    pub config: Option<&'a str>,
    /// `read`, `missing` or `not_read` (apply stopped first); `None` for a
    /// command that does not apply a config.
    pub config_state: Option<&'a str>,
    /// The config file's lines, to quote each record's entries.
    pub entries: &'a [Line],
    /// Whether this was a `--dry-run`.
    pub dry_run: bool,
    /// One record per entry (or per VF), in file order.
    pub records: &'a [Record],
    /// What stopped apply as a whole, if anything.
    pub error: Option<&'a str>,
    /// vfnet's exit status: 0, or 1 when an entry failed, was skipped or is
    /// in use (a dry run: would be), or apply could not run. A dry run
    /// exits as the run would.
    pub exit_status: i32,
}

impl Report<'_> {
    /// The document as one line of JSON.
    pub fn to_json(&self) -> String {
        use crate::json::Obj;
        let mut out = String::new();
        let mut o = Obj::document(&mut out);
        o.opt_str("config", self.config)
            .opt_str("config_state", self.config_state)
            .bool("dry_run", self.dry_run)
            .raw("entries", |out| {
                // In file order: by each record's first line (stable).
                // In file order: each record after every one whose first
                // line is not later (a stable insertion, no sort code).
                let first = |r: &Record| r.lines.first().copied().unwrap_or(usize::MAX);
                let mut records: Vec<&Record> = Vec::with_capacity(self.records.len());
                for r in self.records {
                    let at = records.partition_point(|o| first(o) <= first(r));
                    records.insert(at, r);
                }
                crate::json::lines(out, &records, |out, r| self.record(out, r))
            })
            .raw("totals", |out| {
                let mut t = Obj::new(out);
                for s in Status::ALL {
                    let n = self.records.iter().filter(|r| r.status == s).count();
                    t.num(s.name(), Some(n as u32));
                }
                t.end();
            })
            .opt_str(
                "error",
                self.error.map(crate::text::escape_controls).as_deref(),
            )
            .num("exit_status", Some(self.exit_status as u32))
            .str(
                "exit_status_means",
                match (self.exit_status, self.dry_run) {
                    (0, false) => "every entry is as configured",
                    (0, true) => "every entry can be applied",
                    _ if self.error.is_some() => "apply could not run (see error)",
                    _ => "an entry failed, was skipped or is in use (see each entry's error)",
                },
            );
        o.end();
        out.push('\n');
        out
    }

    fn record(&self, out: &mut String, r: &Record) {
        use crate::json::Obj;
        let mut o = Obj::new(out);
        o.raw("lines", |out| {
            let lines: Vec<String> = r.lines.iter().map(|l| l.to_string()).collect();
            out.push('[');
            out.push_str(&lines.join(","));
            out.push(']');
        });
        let texts: Vec<String> = r
            .lines
            .iter()
            .filter_map(|l| self.entries.get(l.wrapping_sub(1)))
            // Quoted as every echo of input is: controls escaped, cut at 80 bytes.
            .map(|l| crate::text::quote_bytes(crate::sysfs::trim(l.raw())))
            .collect();
        o.strs("entries", texts.iter().map(String::as_str));
        // Each line's key: what stands before its '='.
        let keys: Vec<&str> = texts
            .iter()
            .map(|t| t.split('=').next().unwrap_or_default().trim())
            .collect();
        o.strs("keys", keys);
        let kind = match r.values {
            Values::Count { .. } => "count",
            Values::Vf { .. } => "vf",
            Values::Eswitch { .. } => "eswitch",
            Values::Fdb { .. } => "fdb",
            Values::None => "unknown",
        };
        o.str("kind", kind)
            .opt_str("pci", r.device)
            .num("index", r.vf);
        values(&mut o, r);
        o.str("status", r.status.name())
            // The same escaped text stderr shows (no raw control byte).
            .opt_str(
                "error",
                r.error
                    .as_deref()
                    .map(crate::text::escape_controls)
                    .as_deref(),
            );
        o.end();
    }
}

/// A record's `before`, `wanted`, `after` and `changes`: every record has
/// the same members, whatever its kind.
fn values(o: &mut crate::json::Obj<'_>, r: &Record) {
    // Every record has the same members; their values' types depend on
    // the kind (counts: numbers, VF settings: objects, eswitch: names),
    // each written here as JSON text first.
    let num = |n: Option<u32>| n.map_or("null".to_string(), |n| n.to_string());
    let name = |m: Option<crate::devlink::Mode>| {
        m.map_or("null".to_string(), |m| format!("\"{}\"", m.name()))
    };
    let set = |list: Option<&[String]>| {
        let mut out = String::new();
        settings(&mut out, list);
        out
    };
    let (before, wanted, after, mut changes) = match &r.values {
        Values::Count {
            before,
            wanted,
            after,
        } => (num(*before), num(*wanted), num(*after), Vec::new()),
        Values::Vf {
            wanted,
            changes,
            before,
            after,
        } => (
            set(before.as_deref()),
            set(Some(wanted)),
            set(after.as_deref()),
            changes.clone(),
        ),
        Values::Eswitch {
            before,
            wanted,
            after,
        } => (name(*before), name(Some(*wanted)), name(*after), Vec::new()),
        Values::Fdb {
            before,
            wanted,
            after,
            changes,
        } => (num(*before), num(*wanted), num(*after), changes.clone()),
        Values::None => ("null".into(), "null".into(), "null".into(), Vec::new()),
    };
    // A count or a mode that changed: `4 -> 2`, `legacy -> switchdev`.
    let plain = !matches!(r.values, Values::Vf { .. } | Values::Fdb { .. });
    if plain
        && r.status == Status::Changed
        && before != "null"
        && after != "null"
        && before != after
    {
        changes.push(format!(
            "{} -> {}",
            before.trim_matches('"'),
            after.trim_matches('"')
        ));
    }
    o.raw("before", |out| out.push_str(&before))
        .raw("wanted", |out| out.push_str(&wanted))
        .raw("after", |out| out.push_str(&after))
        .strs("changes", changes.iter().map(String::as_str));
}

/// VF settings written `mac auto`, `vlan 7` as one object, `{"mac":"auto",
/// "vlan":"7"}`: each setting's name as the config and `vfnet vf` spell it,
/// its value as text in the config's syntax; `null` when not known.
fn settings(out: &mut String, list: Option<&[String]>) {
    let Some(list) = list else {
        out.push_str("null");
        return;
    };
    let mut o = crate::json::Obj::new(out);
    for s in list {
        let (k, v) = s.split_once(' ').unwrap_or((s, ""));
        o.str(k, v);
    }
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::pci::PciAddr;
    use std::path::PathBuf;

    fn a(s: &str) -> PciAddr {
        PciAddr::parse(s).unwrap()
    }

    #[test]
    fn the_json_report_quotes_each_entry_and_counts_statuses() {
        let cfg = Config::parse(
            PathBuf::from("/c"),
            "eth0=4\neth0.vf1.vlan=7 \neth0.vfs.trust=on\nbad\"\x01\n",
        );
        let records = [
            Record {
                lines: vec![1],
                device: Some(a("0000:01:00.0")),
                vf: None,
                values: Values::Count {
                    before: Some(0),
                    wanted: Some(4),
                    after: Some(4),
                },
                status: Status::Changed,
                error: None,
            },
            Record {
                lines: vec![2, 3],
                device: Some(a("0000:01:00.0")),
                vf: Some(1),
                values: Values::Vf {
                    wanted: vec!["vlan 7".into(), "trust on".into()],
                    changes: vec!["vlan 7".into()],
                    before: Some(vec!["vlan 0".into(), "trust on".into()]),
                    after: None,
                },
                status: Status::Changed,
                error: None,
            },
            Record {
                lines: vec![4],
                device: None,
                vf: None,
                values: Values::None,
                status: Status::Failed,
                error: Some("expected KEY=N".into()),
            },
        ];
        let report = Report {
            config: Some("/c"),
            config_state: Some("read"),
            entries: &cfg.lines,
            dry_run: false,
            records: &records,
            error: None,
            exit_status: 1,
        };
        let doc: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let e = &doc["entries"];
        assert_eq!(e[0]["kind"], "count");
        assert_eq!((&e[0]["before"], &e[0]["after"]), (&0.into(), &4.into()));
        assert_eq!(
            e[1]["entries"],
            serde_json::json!(["eth0.vf1.vlan=7", "eth0.vfs.trust=on"])
        );
        assert_eq!(e[1]["changes"], serde_json::json!(["vlan 7"]));
        assert_eq!(
            e[1]["before"],
            serde_json::json!({"vlan": "0", "trust": "on"})
        );
        assert_eq!(
            e[1]["wanted"],
            serde_json::json!({"vlan": "7", "trust": "on"})
        );
        assert_eq!(e[1]["after"], serde_json::Value::Null);
        assert_eq!(
            e[1]["keys"],
            serde_json::json!(["eth0.vf1.vlan", "eth0.vfs.trust"])
        );
        assert_eq!(e[0]["keys"], serde_json::json!(["eth0"]));
        assert_eq!(e[1]["index"], 1);
        assert_eq!(e[0]["changes"], serde_json::json!(["0 -> 4"]));
        assert_eq!(doc["version"], 1);
        // Every record has the same members, whatever its kind.
        let names =
            |r: &serde_json::Value| r.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(&e[0]), names(&e[1]));
        assert_eq!(names(&e[0]), names(&e[2]));
        assert_eq!(e[2]["entries"], serde_json::json!(["bad\"\\x01"]));
        assert_eq!(e[2]["kind"], "unknown");
        assert_eq!(
            doc["totals"],
            serde_json::json!({"changed": 2, "unchanged": 0, "failed": 1, "skipped": 0, "in_use": 0})
        );
        assert_eq!(doc["exit_status"], 1);
    }

    #[test]
    fn records_come_in_file_order_ties_as_they_came() {
        let cfg = Config::parse(PathBuf::from("/c"), "a=1\nb=1\nc=1\nd=1\n");
        let rec = |lines: Vec<usize>, vf: Option<u32>| Record {
            lines,
            device: None,
            vf,
            values: Values::None,
            status: Status::Failed,
            error: None,
        };
        let records = [
            rec(vec![4], None),
            rec(vec![2], Some(0)),
            rec(vec![1], None),
            rec(vec![2, 3], Some(1)),
            rec(vec![2], Some(2)),
        ];
        let report = Report {
            config: None,
            config_state: None,
            entries: &cfg.lines,
            dry_run: true,
            records: &records,
            error: None,
            exit_status: 1,
        };
        let doc: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let order: Vec<String> = doc["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("{}{}", e["lines"], e["index"]))
            .collect();
        assert_eq!(order, ["[1]null", "[2]0", "[2,3]1", "[2]2", "[4]null"]);
    }
}
