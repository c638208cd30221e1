//! Text tables sized to their content and, when it is known, to the terminal.
//!
//! Each column has a header, a shorter header for narrow terminals, and a
//! drop rank. When a table is wider than the terminal: columns are dropped
//! by rank (the device path first), then headers shortened, then the one
//! shrinkable column (the description) truncated with `...`. A table that
//! still does not fit is printed anyway: the terminal wraps it.

/// How one column is titled and how it gives way on a narrow terminal.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header when there is room.
    pub header: &'static str,
    /// The header when space is short.
    pub short: &'static str,
    /// 0: never dropped; otherwise higher ranks are dropped first.
    pub drop: u8,
    /// Cells may be cut to make the table fit.
    pub shrink: bool,
}

/// A column that may be dropped (`drop` > 0) or shrunk.
pub const fn col(header: &'static str, short: &'static str, drop: u8, shrink: bool) -> Column {
    Column {
        header,
        short,
        drop,
        shrink,
    }
}

const GAP: usize = 2;
const MIN_SHRUNK: usize = 12;

fn len(s: &str) -> usize {
    s.chars().count()
}

/// Appends the table to `out`: `rows` hold one cell per column. `width` is
/// the terminal's, if known.
pub fn render(out: &mut String, columns: &[Column], rows: &[Vec<String>], width: Option<usize>) {
    let mut keep: Vec<usize> = (0..columns.len()).collect();
    let mut short = false;
    let natural = |c: usize, short: bool| {
        let h = if short {
            columns[c].short
        } else {
            columns[c].header
        };
        rows.iter()
            .map(|r| len(&r[c]))
            .chain([len(h)])
            .max()
            .unwrap_or(0)
    };
    let total = |keep: &[usize], short: bool| {
        keep.iter().map(|&c| natural(c, short)).sum::<usize>() + GAP * keep.len().saturating_sub(1)
    };
    let mut widths: Vec<usize>;
    if let Some(limit) = width {
        while total(&keep, short) > limit {
            match keep
                .iter()
                .enumerate()
                .filter(|(_, c)| columns[**c].drop > 0)
                .max_by_key(|(_, c)| columns[**c].drop)
            {
                Some((i, _)) => {
                    keep.remove(i);
                }
                None if !short => short = true,
                None => break,
            }
        }
        widths = keep.iter().map(|&c| natural(c, short)).collect();
        let over = total(&keep, short).saturating_sub(limit);
        if let Some(i) = keep.iter().position(|&c| columns[c].shrink) {
            widths[i] = widths[i]
                .saturating_sub(over)
                .max(MIN_SHRUNK.min(widths[i]));
        }
    } else {
        widths = keep.iter().map(|&c| natural(c, false)).collect();
    }

    line(
        out,
        keep.iter().map(|&c| {
            if short {
                columns[c].short
            } else {
                columns[c].header
            }
        }),
        &widths,
    );
    let rules: Vec<String> = widths.iter().map(|&w| "=".repeat(w)).collect();
    line(out, rules.iter().map(|s| s.as_str()), &widths);
    for r in rows {
        line(out, keep.iter().map(|&c| r[c].as_str()), &widths);
    }
}

fn line<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>, widths: &[usize]) {
    let start = out.len();
    for (i, (cell, &w)) in cells.zip(widths).enumerate() {
        if i > 0 {
            out.push_str("  ");
        }
        if len(cell) > w {
            let cut: String = cell.chars().take(w.saturating_sub(3)).collect();
            out.push_str(&cut);
            out.push_str(&"..."[..w.min(3)]);
        } else {
            out.push_str(cell);
            out.extend(std::iter::repeat_n(' ', w - len(cell)));
        }
    }
    let end = out[start..].trim_end().len() + start;
    out.truncate(end);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 3] = [
        col("Name", "N", 0, false),
        col("Description", "Desc", 0, true),
        col("Device Path", "Path", 9, false),
    ];

    fn draw(width: Option<usize>) -> String {
        let rows = [
            [
                "eth0",
                "Intel Corporation 82576 Gigabit Network Connection",
                "/sys/class/net/eth0",
            ],
            ["enp1s0f0", "x", "/sys/class/net/enp1s0f0"],
        ];
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        let mut s = String::new();
        render(&mut s, &COLS, &rows, width);
        s
    }

    #[test]
    fn columns_are_sized_to_content() {
        let t = draw(None);
        assert_eq!(
            t.lines().next().unwrap(),
            format!("Name      {:<50}  Device Path", "Description")
        );
        assert!(t.lines().nth(1).unwrap().starts_with("========  ====="));
        assert!(t.contains("enp1s0f0  x"));
        assert!(t.lines().all(|l| l == l.trim_end()), "no trailing spaces");
    }

    #[test]
    fn narrow_terminals_lose_the_path_then_shrink_the_description() {
        let t = draw(Some(70));
        assert!(!t.contains("Device Path"));
        assert!(t.contains("Intel Corporation 82576 Gigabit Network Connection"));
        let t = draw(Some(40));
        assert!(t.lines().all(|l| l.chars().count() <= 40), "{t}");
        assert!(
            t.contains("eth0      Intel Corporation 82576 Gig...\n"),
            "{t}"
        );
    }

    #[test]
    fn a_table_that_cannot_fit_is_still_whole() {
        let t = draw(Some(5));
        assert_eq!(t.lines().count(), 4);
        assert!(t.contains("enp1s0f0"));
    }
}
