//! Plain-text tables and number formatting shared by the parts.

/// A table printed with aligned columns: the first left-aligned (labels),
/// the others right-aligned (numbers).
#[derive(Debug)]
pub(crate) struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings.
    pub(crate) fn new(head: &[&str]) -> Self {
        Self {
            head: head.iter().map(|s| (*s).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as headings; missing cells print empty).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Prints the table to stdout.
    pub(crate) fn print(&self) {
        let cols = self.head.len();
        let mut width: Vec<usize> = self.head.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(cols) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, w) in width.iter().enumerate() {
                let c = cells.get(i).map_or("", String::as_str);
                if i == 0 {
                    out.push_str(&format!("{c:<w$}"));
                } else {
                    out.push_str(&format!("  {c:>w$}"));
                }
            }
            println!("{}", out.trim_end());
        };
        line(&self.head);
        let total: usize = width.iter().sum::<usize>() + 2 * (cols - 1);
        println!("{}", "-".repeat(total));
        for r in &self.rows {
            line(r);
        }
    }
}

/// A heading for a part or sub-table.
pub(crate) fn title(text: &str) {
    println!("\n== {text} ==");
}

/// `a / b` as `0.93x`, or `-` when it cannot be computed.
pub(crate) fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() && b.is_finite() {
        format!("{:.2}x", a / b)
    } else {
        "-".to_owned()
    }
}

/// A signed difference in nanoseconds, printed in ns or µs.
pub(crate) fn delta_time(ns: f64) -> String {
    let sign = if ns < 0.0 { "-" } else { "+" };
    let a = ns.abs();
    if a < 1000.0 {
        format!("{sign}{a:.0} ns")
    } else {
        format!("{sign}{:.2} µs", a / 1000.0)
    }
}

/// A duration in nanoseconds, printed in ns or µs.
pub(crate) fn time(ns: f64) -> String {
    if ns < 1000.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{:.2} µs", ns / 1000.0)
    }
}

/// A signed count with one decimal (allocations per request).
pub(crate) fn delta_count(n: f64) -> String {
    format!("{n:+.1}")
}

/// A signed byte count with thousands separators.
pub(crate) fn delta_bytes(n: f64) -> String {
    let sign = if n < 0.0 { "-" } else { "+" };
    format!("{sign}{}", thousands(n.abs().round() as u64))
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// One line on what the numbers are relative to.
pub(crate) fn machine_note() {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let profile = if cfg!(debug_assertions) {
        "DEBUG build: numbers are meaningless, use --release"
    } else {
        "release build"
    };
    println!(
        "xsrf-bench: {cores} CPU(s), {profile}. Ratios compare rows measured in this run only."
    );
}
