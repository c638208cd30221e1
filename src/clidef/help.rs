//! The `-h` texts made from the definition: a synopsis, the prose (but the
//! man page's own), the lists and the options, wrapped to 79 columns.

use super::{Block, COMMANDS, Command, GLOBAL, Opt, SETTINGS, TOP, TOP_AFTER, TOP_ONLY, opt_term};
use crate::text::fill;

/// The width `-h` texts fit.
const WIDTH: usize = 79;

/// Terms with their meaning, the meanings in one column.
fn two_columns(out: &mut String, items: &[(String, &str)]) {
    let widest = items.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
    let col = (widest + 4).min(27);
    for (term, help) in items {
        let mut pad = format!("  {term}");
        if pad.len() + 2 > col {
            out.push_str(&pad);
            out.push('\n');
            pad.clear();
        }
        let lines = fill(help, WIDTH - col, 0);
        let lines: Vec<&str> = lines.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let lead = if i == 0 { pad.as_str() } else { "" };
            out.push_str(&format!("{lead:col$}{l}\n"));
        }
        if lines.is_empty() {
            out.push_str(&pad);
            out.push('\n');
        }
    }
}

fn paragraph(out: &mut String, text: &str) {
    out.push_str(&fill(text, WIDTH, 0));
}

fn blocks(out: &mut String, body: &[Block]) {
    for b in body {
        match b {
            Block::Man(_) | Block::ManList(_) => continue,
            Block::Text(t) => paragraph(out, t),
            Block::List(title, items) => {
                if !title.is_empty() {
                    out.push_str(title);
                    out.push_str(":\n");
                }
                let items: Vec<(String, &str)> =
                    items.iter().map(|(t, h)| (t.to_string(), *h)).collect();
                two_columns(out, &items);
            }
            Block::Settings => {
                out.push_str("Settings:\n");
                let items: Vec<(String, &str)> = SETTINGS
                    .iter()
                    .map(|s| (format!("{} {}", s.name, s.value), s.help))
                    .collect();
                two_columns(out, &items);
            }
            Block::Verbatim(v) => {
                for l in v.lines() {
                    out.push_str("  ");
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
        out.push('\n');
    }
}

fn options<'a>(out: &mut String, title: &str, opts: impl IntoIterator<Item = &'a Opt>) {
    out.push_str(title);
    out.push_str(":\n");
    let items: Vec<(String, &str)> = opts.into_iter().map(|o| (opt_term(o), o.help)).collect();
    two_columns(out, &items);
}

/// A synopsis line as `Usage:` shows it, wrapped under its command.
fn usage_lines(out: &mut String, lead: &str, line: &str) {
    let indent = lead.len() + "vfnet ".len() + line.find(' ').map_or(0, |i| i + 1);
    let mut first = true;
    for l in fill(line, WIDTH - indent, 0).lines() {
        if first {
            out.push_str(&format!("{lead}vfnet {l}\n"));
            first = false;
        } else {
            out.push_str(&format!("{:indent$}{l}\n", ""));
        }
    }
}

/// The `-h` text of `cmd` (`help/NAME.txt`).
pub fn help_text(cmd: &Command) -> String {
    let mut out = String::new();
    for (i, u) in cmd.usage.iter().enumerate() {
        usage_lines(&mut out, if i == 0 { "Usage: " } else { "       " }, u);
    }
    out.push('\n');
    blocks(&mut out, cmd.body);
    options(&mut out, "Options", cmd.options.iter());
    out.push_str("\nman vfnet has more (section ");
    out.push_str(&cmd.name.to_uppercase());
    out.push_str(").\n");
    out
}

/// `vfnet -h` (`help/vfnet.txt`).
pub fn top_help() -> String {
    let mut out = String::from("Usage: vfnet [OPTIONS] [COMMAND] [ARGS]\n\n");
    blocks(&mut out, TOP);
    out.push_str("Commands:\n");
    let items: Vec<(String, &str)> = COMMANDS
        .iter()
        .map(|c| (c.brief.0.to_string(), c.brief.1))
        .collect();
    two_columns(&mut out, &items);
    out.push('\n');
    blocks(&mut out, TOP_AFTER);
    options(&mut out, "Options", GLOBAL.iter().chain(TOP_ONLY));
    out.push_str(
        "\nExit status: 0 success, 1 failure, 2 usage error, 128+N stopped by signal N.\n\
         man vfnet has the whole story.\n",
    );
    out
}

/// Every generated `-h` text: (path in the repository, text).
pub fn help_files() -> Vec<(String, String)> {
    let mut out = vec![("help/vfnet.txt".to_string(), top_help())];
    for c in COMMANDS.iter().filter(|c| c.own_help) {
        out.push((format!("help/{}.txt", c.name), help_text(c)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clidef::{GLOBAL, command, opt_term};

    #[test]
    fn every_help_line_fits_80_columns() {
        for (path, text) in help_files() {
            for l in text.lines() {
                assert!(l.len() <= WIDTH, "{path}: {l:?}");
            }
        }
    }

    #[test]
    fn option_terms_read_as_help_shows_them() {
        assert_eq!(opt_term(&GLOBAL[0]), "--root DIR");
        assert_eq!(opt_term(&GLOBAL[2]), "-h, --help");
        let set = command("set").unwrap();
        let t = set.options.iter().find(|o| o.long == "timeout").unwrap();
        assert_eq!(opt_term(t), "-t, --timeout SECS");
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
        for c in COMMANDS {
            let mut longs: Vec<&str> = c.options.iter().map(|o| o.long).collect();
            longs.sort();
            longs.dedup();
            assert_eq!(longs.len(), c.options.len(), "{}", c.name);
        }
    }
}
