//! The Prometheus text exposition format (version 0.0.4), written by
//! hand: a family's `# HELP` and `# TYPE` lines, then its samples, label
//! values escaped as the format requires (`\\`, `\"`, `\n`; names from the
//! system are hostile input). Pure; `vfnet metrics` fills it.

use std::fmt::{Display, Write};

/// A document being written: one family after another.
#[derive(Debug, Default)]
pub struct Doc {
    out: String,
}

/// A metric family's kind (`# TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A value that only goes up (a `_total` name).
    Counter,
}

impl Doc {
    /// Starts the family `name` (`vfnet_...`), with its help text.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let kind = match kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        // HELP escapes only backslash and newline.
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = write!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
    }

    /// One sample of the current family: `name{label="value",...} value`.
    /// Label values are written through the escaping as they display.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &dyn Display)], value: &dyn Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(k);
                self.out.push_str("=\"");
                let _ = write!(Escaping(&mut self.out), "{v}");
                self.out.push('"');
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A `fmt::Write` that escapes a label value as it goes: backslash,
/// double quote and newline.
struct Escaping<'a>(&'a mut String);

impl std::fmt::Write for Escaping<'_> {
    fn write_str(&mut self, v: &str) -> std::fmt::Result {
        for c in v.chars() {
            match c {
                '\\' => self.0.push_str("\\\\"),
                '"' => self.0.push_str("\\\""),
                '\n' => self.0.push_str("\\n"),
                c => self.0.push(c),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_has_help_type_and_samples_with_escaped_labels() {
        let mut d = Doc::default();
        d.family("vfnet_pf_vfs", Kind::Gauge, "VFs a PF has now.");
        d.sample(
            "vfnet_pf_vfs",
            &[("pf", &"0000:01:00.0"), ("interface", &"a\"b\\c\nd")],
            &4,
        );
        d.family("vfnet_up", Kind::Gauge, "back\\slash\nnewline");
        d.sample("vfnet_up", &[], &1);
        assert_eq!(
            d.finish(),
            "# HELP vfnet_pf_vfs VFs a PF has now.\n# TYPE vfnet_pf_vfs gauge\n\
             vfnet_pf_vfs{pf=\"0000:01:00.0\",interface=\"a\\\"b\\\\c\\nd\"} 4\n\
             # HELP vfnet_up back\\\\slash\\nnewline\n# TYPE vfnet_up gauge\nvfnet_up 1\n"
        );
    }
}
