//! The man page `vfnet(8)`, in roff (the man macros), generated from the
//! command-line definition (`crate::clidef`): NAME, SYNOPSIS, DESCRIPTION,
//! OPTIONS, a section per command, then the definition's own sections
//! (CONFIG FILE, FILES, EXIT STATUS, ENVIRONMENT, EXAMPLES, SEE ALSO).
//! Written to `doc/vfnet.8` by `UPDATE_CLIDOCS=1 cargo test --test clidocs`;
//! never linked into the binary.

use crate::clidef::{self, Block, Command, Opt};

/// Text made safe for roff: a backslash is `\e`, a hyphen that starts a
/// word (an option) a minus `\-`, and a line never starts with a control
/// character (`.` or `'`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word_start = true;
    let mut in_option = false;
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' if word_start || in_option => {
                out.push_str("\\-");
                in_option = true;
            }
            _ => out.push(c),
        }
        word_start = c.is_whitespace() || c == '[' || c == '(' || c == '|';
        if c.is_whitespace() {
            in_option = false;
        }
    }
    let mut lines = String::with_capacity(out.len());
    for (i, l) in out.split('\n').enumerate() {
        if i > 0 {
            lines.push('\n');
        }
        if l.starts_with('.') || l.starts_with('\'') {
            lines.push_str("\\&");
        }
        lines.push_str(l);
    }
    lines
}

fn blocks(out: &mut String, body: &[Block]) {
    for b in body {
        match b {
            Block::Text(t) | Block::Man(t) => {
                paragraph(out);
                out.push_str(&filled(t));
                out.push('\n');
            }
            Block::List(title, items) => {
                if !title.is_empty() {
                    paragraph(out);
                    out.push_str(&format!("{}:\n", escape(title)));
                }
                for (term, help) in items.iter() {
                    item(out, term, help);
                }
            }
            Block::ManList(items) => {
                for (term, help) in items.iter() {
                    item(out, term, help);
                }
            }
            Block::Settings => {
                paragraph(out);
                out.push_str("Settings:\n");
                for s in clidef::SETTINGS {
                    item(out, &format!("{} {}", s.name, s.value), s.help);
                }
            }
            Block::Verbatim(v) => {
                paragraph(out);
                out.push_str(".RS 4\n.nf\n");
                out.push_str(&escape(v));
                out.push_str("\n.fi\n.RE\n");
            }
        }
    }
}

fn item(out: &mut String, term: &str, help: &str) {
    out.push_str(&format!(".TP\n.B {}\n{}\n", quoted(term), filled(help)));
}

/// Filled text as roff source: lines of at most 78 characters (mandoc's
/// style), each escaped.
fn filled(text: &str) -> String {
    let lines: Vec<String> = crate::text::fill(text, 78, 0).lines().map(escape).collect();
    lines.join("\n")
}

/// The date the page gives (its footer): bumped with the version.
pub const DATE: &str = "2026-12-02";

/// A macro argument: escaped, and in double quotes when it has spaces.
fn quoted(text: &str) -> String {
    let e = escape(text).replace('"', "\\(dq");
    if e.contains(' ') {
        format!("\"{e}\"")
    } else {
        e
    }
}

fn options<'a>(out: &mut String, opts: impl IntoIterator<Item = &'a Opt>) {
    for o in opts {
        item(out, &clidef::opt_term(o), o.help);
    }
}

fn synopsis(out: &mut String, cmd: &Command) {
    for u in cmd.usage {
        out.push_str(&format!(".SY vfnet\n{}\n.YS\n", filled(u)));
    }
}

/// The whole page.
pub fn page() -> String {
    let mut out = String::new();
    out.push_str(&format!(
        ".\\\" Generated from src/clidef.rs by `UPDATE_CLIDOCS=1 cargo test --test clidocs`.\n\
         .TH VFNET 8 \"{DATE}\" \"vfnet {}\" \"System Administration\"\n\
         .SH NAME\nvfnet \\- manage SR\\-IOV virtual functions of network cards\n\
         .SH SYNOPSIS\n.SY vfnet\n[\\fIOPTIONS\\fR] [\\fICOMMAND\\fR] [\\fIARGS\\fR]\n.YS\n",
        env!("CARGO_PKG_VERSION")
    ));
    for c in clidef::COMMANDS {
        synopsis(&mut out, c);
    }
    out.push_str(".SH DESCRIPTION\n");
    blocks(&mut out, clidef::TOP);
    blocks(&mut out, clidef::TOP_AFTER);
    out.push_str(".PP\nThe commands, each with a section below:\n");
    for c in clidef::COMMANDS {
        item(&mut out, c.brief.0, c.brief.1);
    }
    out.push_str(".SH OPTIONS\nThese are taken before or after the command.\n");
    options(&mut out, clidef::GLOBAL.iter().chain(clidef::TOP_ONLY));
    for c in clidef::COMMANDS
        .iter()
        .filter(|c| !c.usage.is_empty() && c.name != "help")
    {
        out.push_str(&format!(".SH \"VFNET {}\"\n", c.name.to_uppercase()));
        synopsis(&mut out, c);
        blocks(&mut out, c.body);
        if !c.options.is_empty() {
            out.push_str(".PP\nOptions:\n");
            options(&mut out, c.options.iter());
        }
        if c.name == "install" {
            if let Some(u) = clidef::command("uninstall") {
                out.push_str(".PP\nuninstall takes:\n");
                options(&mut out, u.options.iter());
            }
        }
    }
    for (title, body) in clidef::MAN_SECTIONS {
        out.push_str(&format!(".SH \"{title}\"\n"));
        blocks(&mut out, body);
    }
    out
}

/// Starts a paragraph, but right after a section heading, which starts one
/// itself (mandoc warns of a `.PP` there).
fn paragraph(out: &mut String) {
    let last = out.trim_end_matches('\n').rsplit('\n').next().unwrap_or("");
    if !last.starts_with(".SH ") {
        out.push_str(".PP\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_get_minus_signs_and_lines_no_control_characters() {
        assert_eq!(escape("see --dry-run"), "see \\-\\-dry\\-run");
        assert_eq!(escape("read-only"), "read-only");
        assert_eq!(escape(".conf\n'x"), "\\&.conf\n\\&'x");
        assert_eq!(escape("a\\b"), "a\\eb");
        assert_eq!(escape("[-n]"), "[\\-n]");
    }

    #[test]
    fn the_page_has_every_section_the_issue_names() {
        let p = page();
        for s in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH \"VFNET LIST\"",
            ".SH \"VFNET INSTALL\"",
            ".SH \"CONFIG FILE\"",
            ".SH \"FILES\"",
            ".SH \"EXIT STATUS\"",
            ".SH \"ENVIRONMENT\"",
            ".SH \"EXAMPLES\"",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(p.contains(s), "{s}");
        }
    }
}
