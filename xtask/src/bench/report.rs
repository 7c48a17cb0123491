//! The results table, as Markdown: printed at the end and written to
//! `<target>/bench/report.md` for the README.

use std::fmt::Write as _;

use super::measure::Stats;

/// The most of a reason shown in a table cell; the output above has it all.
const REASON_CHARS: usize = 200;

/// The sections of the benchmark, numbered as in the table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    GateCost = 1,
    Peers = 2,
    EndToEnd = 3,
    Scale = 4,
    Memory = 5,
    Load = 6,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::GateCost => "1. gate cost",
            Section::Peers => "2. peers",
            Section::EndToEnd => "3. end to end",
            Section::Scale => "4. scale",
            Section::Memory => "5. memory",
            Section::Load => "6. load",
        }
    }
}

/// One line of the table.
pub struct Row {
    section: Section,
    measurement: String,
    value: String,
    against: String,
    ratio: String,
    difference: String,
    target: String,
}

impl Row {
    /// A measured row with only its own value so far.
    pub fn new(section: Section, measurement: impl Into<String>, value: impl Into<String>) -> Row {
        Row {
            section,
            measurement: measurement.into(),
            value: value.into(),
            against: String::new(),
            ratio: String::new(),
            difference: String::new(),
            target: String::new(),
        }
    }

    /// A row that could not be measured, and why (its first line, cut at
    /// [`REASON_CHARS`]): the row stays in the table.
    pub fn missing(section: Section, measurement: impl Into<String>, reason: &str) -> Row {
        let first_line = reason.lines().next().unwrap_or_default();
        let mut short: String = first_line.chars().take(REASON_CHARS).collect();
        if short.len() < reason.trim_end().len() {
            short.push_str(" ...");
        }
        Row::new(
            section,
            measurement,
            format!("not measured: {}", cell(&short)),
        )
    }

    /// A wall-time row: median, with p10 and p90.
    pub fn time(section: Section, measurement: impl Into<String>, stats: &Stats) -> Row {
        Row::new(section, measurement, time_spread(stats))
    }

    /// Compares with `base` (named `name`): ratio of the medians, and the
    /// difference of the medians.
    pub fn against_time(mut self, name: &str, this: &Stats, base: &Stats) -> Row {
        self.against = format!("{name} ({})", time(base.median()));
        self.ratio = ratio(this.median() / base.median());
        self.difference = signed_time(this.median() - base.median());
        self
    }

    /// Compares with something else already formatted.
    pub fn against(mut self, name: impl Into<String>, ratio_value: f64) -> Row {
        self.against = name.into();
        self.ratio = ratio(ratio_value);
        self
    }

    /// Says something else in the Difference column.
    pub fn difference(mut self, text: impl Into<String>) -> Row {
        self.difference = text.into();
        self
    }

    /// States the target for this row and whether it was met.
    pub fn target(mut self, goal: &str, met: bool) -> Row {
        self.target = format!("{goal}: {}", if met { "met" } else { "**not met**" });
        self
    }
}

/// The whole report: context lines, the table, and how it was measured.
pub struct Report {
    context: Vec<(String, String)>,
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    /// An empty report with `context` (machine, versions, settings) on top.
    pub fn new(context: Vec<(String, String)>) -> Report {
        Report {
            context,
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a line of context.
    pub fn context(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.context.push((key.into(), value.into()));
    }

    /// Adds a row.
    pub fn row(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Adds a note below the table.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The report as Markdown, rows in section order.
    pub fn render(&self) -> String {
        let mut out = String::from("## sshgate benchmark (`cargo xtask bench`)\n\n");
        for (key, value) in &self.context {
            let _ = writeln!(out, "- {key}: {value}");
        }
        out.push_str(
            "\n| Section | Measurement | Median (p10–p90) | Against (its median) | Ratio | \
             Difference | Target |\n|---|---|---|---|---|---|---|\n",
        );
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by_key(|row| row.section);
        for row in rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.section.title(),
                cell(&row.measurement),
                row.value,
                cell(&row.against),
                row.ratio,
                row.difference,
                row.target
            );
        }
        if !self.notes.is_empty() {
            out.push_str("\nHow it was measured:\n\n");
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }
}

/// Text made safe for a table cell: no pipes, no line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A wall time in microseconds, in µs below 1 ms, else in ms.
pub fn time(us: f64) -> String {
    if us.abs() < 1000.0 {
        format!("{us:.0} µs")
    } else if us.abs() < 100_000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.1} ms", us / 1000.0)
    }
}

/// A difference of wall times, with its sign.
pub fn signed_time(us: f64) -> String {
    let sign = if us < 0.0 { "−" } else { "+" };
    format!("{sign}{}", time(us.abs()))
}

/// `median (p10–p90)`, all in the median's unit.
pub fn time_spread(stats: &Stats) -> String {
    let median = stats.median();
    let (p10, p90) = (stats.percentile(10.0), stats.percentile(90.0));
    if median < 1000.0 {
        format!("{median:.0} µs ({p10:.0}–{p90:.0})")
    } else if median < 100_000.0 {
        format!(
            "{:.2} ms ({:.2}–{:.2})",
            median / 1000.0,
            p10 / 1000.0,
            p90 / 1000.0
        )
    } else {
        format!(
            "{:.1} ms ({:.1}–{:.1})",
            median / 1000.0,
            p10 / 1000.0,
            p90 / 1000.0
        )
    }
}

/// A ratio, with more digits where they mean something.
pub fn ratio(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.1} ×")
    } else {
        format!("{value:.3} ×")
    }
}

#[cfg(test)]
mod tests {
    use super::{Report, Row, Section, ratio, signed_time, time};

    #[test]
    fn times_pick_their_unit() {
        assert_eq!(time(612.4), "612 µs");
        assert_eq!(time(1840.0), "1.84 ms");
        assert_eq!(time(61_234.0), "61.23 ms");
        assert_eq!(time(161_234.0), "161.2 ms");
        assert_eq!(signed_time(-612.0), "−612 µs");
        assert_eq!(ratio(1.5), "1.500 ×");
        assert_eq!(ratio(61.23), "61.2 ×");
    }

    #[test]
    fn rows_keep_section_order_and_missing_rows_stay() {
        let mut report = Report::new(vec![("machine".into(), "test".into())]);
        report.row(Row::new(Section::Memory, "rss", "1 KiB"));
        report.row(Row::missing(Section::Peers, "authprogs", "pip | failed"));
        let text = report.render();
        let peers = text.find("2. peers").unwrap_or(usize::MAX);
        let memory = text.find("5. memory").unwrap_or(0);
        assert!(peers < memory);
        assert!(text.contains("not measured: pip \\| failed"));
    }
}
