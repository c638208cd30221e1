//! Text tables sized to their content and, when it is known, to the terminal.
//!
//! Each column has a header, a shorter header for narrow terminals, and a
//! drop rank. A table wider than the terminal gives way in this order, and
//! stops as soon as it fits:
//! 1. columns of rank [`EARLY`] and above are dropped, highest rank first
//!    (the device path, the subsystem, the parent's address);
//! 2. headers shorten and the shrinkable columns (description, Used by,
//!    settings) are cut with `...`, down to [`MIN_SHRUNK`] characters;
//! 3. the other columns of nonzero rank are dropped, highest first;
//! 4. what is left (rank 0: the PCI address, the interface and the count
//!    or index) is cut at the width: a table never wraps.

/// How one column is titled and how it gives way on a narrow terminal.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header when there is room.
    pub header: &'static str,
    /// The header when space is short.
    pub short: &'static str,
    /// 0: never dropped; otherwise higher ranks are dropped first, those
    /// of [`EARLY`] and above before headers shorten.
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

/// Columns of this drop rank and above go before headers shorten.
pub const EARLY: u8 = 10;

/// How a table is laid out: the width it must fit (the terminal's, if
/// known) and whether it has a header and a rule (`--no-headers`: not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The width to fit; `None`: as wide as the content.
    pub width: Option<usize>,
    /// Print the header line and the `===` rule under it.
    pub headers: bool,
}

impl Layout {
    /// Fitted to `width`, with headers.
    pub fn fit(width: Option<usize>) -> Layout {
        Layout {
            width,
            headers: true,
        }
    }
}

const GAP: usize = 2;
/// Shrinkable cells are not cut below this many characters.
pub const MIN_SHRUNK: usize = 12;

fn len(s: &str) -> usize {
    s.chars().count()
}

/// One step of giving way, in the order the module doc gives.
#[derive(Clone, Copy)]
enum Step {
    Drop(usize),
    Shorten,
}

/// Appends the table to `out`: `rows` hold one cell per column.
pub fn render(out: &mut String, columns: &[Column], rows: &[Vec<String>], layout: Layout) {
    let headers = layout.headers;
    let natural = |c: usize, short: bool| {
        let h = match (headers, short) {
            (false, _) => "",
            (true, true) => columns[c].short,
            (true, false) => columns[c].header,
        };
        rows.iter()
            .map(|r| len(&r[c]))
            .chain([len(h)])
            .max()
            .unwrap_or(0)
    };
    // A column's width: natural, or cut to MIN_SHRUNK once shortened.
    let least = |c: usize, short: bool| {
        let n = natural(c, short);
        if short && columns[c].shrink {
            n.min(MIN_SHRUNK)
        } else {
            n
        }
    };
    let total = |keep: &[usize], short: bool| {
        keep.iter().map(|&c| least(c, short)).sum::<usize>() + GAP * keep.len().saturating_sub(1)
    };
    let mut keep: Vec<usize> = (0..columns.len()).collect();
    let mut short = false;
    if let Some(limit) = layout.width {
        for step in steps(columns) {
            if total(&keep, short) <= limit {
                break;
            }
            match step {
                Step::Drop(c) => keep.retain(|&k| k != c),
                Step::Shorten => short = true,
            }
        }
    }
    let mut widths: Vec<usize> = keep.iter().map(|&c| natural(c, short)).collect();
    if let Some(limit) = layout.width {
        // Cut the shrinkable columns, first one first, just enough.
        let mut over = (widths.iter().sum::<usize>() + GAP * keep.len().saturating_sub(1))
            .saturating_sub(limit);
        for (i, &c) in keep.iter().enumerate() {
            if over == 0 || !short || !columns[c].shrink {
                continue;
            }
            let cut = over.min(widths[i].saturating_sub(MIN_SHRUNK));
            widths[i] -= cut;
            over -= cut;
        }
    }
    let put = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        line(out, cells, &widths, layout.width)
    };
    if headers {
        let titles = keep.iter().map(|&c| {
            if short {
                columns[c].short
            } else {
                columns[c].header
            }
        });
        put(out, &mut titles.into_iter());
        let rules: Vec<String> = widths.iter().map(|&w| "=".repeat(w)).collect();
        put(out, &mut rules.iter().map(|s| s.as_str()));
    }
    for r in rows {
        put(out, &mut keep.iter().map(|&c| r[c].as_str()));
    }
}

/// The order in which a too-wide table gives way (see the module doc).
fn steps(columns: &[Column]) -> Vec<Step> {
    // Highest rank first; ranks below EARLY after the headers shorten.
    let mut steps = Vec::new();
    for rank in (1..=u8::MAX).rev() {
        if rank == EARLY - 1 {
            steps.push(Step::Shorten);
        }
        steps.extend(
            (0..columns.len())
                .filter(|&c| columns[c].drop == rank)
                .map(Step::Drop),
        );
    }
    steps
}

fn line(
    out: &mut String,
    cells: &mut dyn Iterator<Item = &str>,
    widths: &[usize],
    limit: Option<usize>,
) {
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
    let mut end = out[start..].trim_end().len() + start;
    if let Some(limit) = limit {
        // The last resort: cut the line, never let the terminal wrap it.
        if let Some((at, _)) = out[start..end].char_indices().nth(limit) {
            end = start + at;
        }
    }
    out.truncate(end);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 3] = [
        col("Name", "N", 0, false),
        col("Description", "Desc", 0, true),
        col("Device Path", "Path", 12, false),
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
        render(&mut s, &COLS, &rows, Layout::fit(width));
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
    fn a_table_that_cannot_fit_is_cut_at_the_width_never_wrapped() {
        let t = draw(Some(5));
        assert_eq!(t.lines().count(), 4, "{t}");
        assert!(t.lines().all(|l| l.chars().count() <= 5), "{t}");
        assert!(t.contains("enp1s"), "{t}");
    }

    #[test]
    fn every_width_is_kept_and_the_key_columns_stay() {
        for w in 1..120 {
            let t = draw(Some(w));
            assert!(t.lines().all(|l| l.chars().count() <= w), "width {w}:\n{t}");
            if w >= 30 {
                assert!(t.contains("enp1s0f0"), "width {w}:\n{t}");
            }
        }
    }

    #[test]
    fn without_headers_only_the_rows_are_printed_sized_to_them() {
        let rows = vec![vec!["a".to_string(), "b".into(), "c".into()]];
        let mut s = String::new();
        let layout = Layout {
            width: None,
            headers: false,
        };
        render(&mut s, &COLS, &rows, layout);
        assert_eq!(s, "a  b  c\n");
    }
}
