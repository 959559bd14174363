//! A log line as HTML: ANSI colours and styles rendered as spans, search matches marked, and
//! nothing a container prints ever read as markup.

use engine::model::feeds::Marker;

use crate::components::editor::escape_into;

/// A colour of the terminal palette (0–255) or a true colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Color {
    Index(u8),
    Rgb(u8, u8, u8),
}

/// Text attributes set by SGR escape sequences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Style {
    fg: Option<Color>,
    bg: Option<Color>,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
}

impl Style {
    fn is_plain(&self) -> bool {
        *self == Self::default()
    }

    /// Applies one `ESC [ … m` parameter list.
    fn apply(&mut self, params: &str) {
        let numbers: Vec<u16> = params
            .split([';', ':'])
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        let mut i = 0;
        while i < numbers.len() {
            let n = numbers[i];
            match n {
                0 => *self = Self::default(),
                1 => self.bold = true,
                2 => self.dim = true,
                3 => self.italic = true,
                4 => self.underline = true,
                22 => {
                    self.bold = false;
                    self.dim = false;
                }
                23 => self.italic = false,
                24 => self.underline = false,
                30..=37 => self.fg = Some(Color::Index((n - 30) as u8)),
                39 => self.fg = None,
                40..=47 => self.bg = Some(Color::Index((n - 40) as u8)),
                49 => self.bg = None,
                90..=97 => self.fg = Some(Color::Index((n - 90 + 8) as u8)),
                100..=107 => self.bg = Some(Color::Index((n - 100 + 8) as u8)),
                38 | 48 => {
                    let color = match numbers.get(i + 1) {
                        Some(5) => {
                            let c = numbers.get(i + 2).map(|c| Color::Index(*c as u8));
                            i += 2;
                            c
                        }
                        Some(2) => {
                            let part = |k: usize| numbers.get(i + k).map_or(0, |c| *c as u8);
                            let c = Some(Color::Rgb(part(2), part(3), part(4)));
                            i += 4;
                            c
                        }
                        _ => None,
                    };
                    if n == 38 {
                        self.fg = color;
                    } else {
                        self.bg = color;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// The opening tag for this style; only numbers and fixed class names go into it.
    fn open(&self, out: &mut String) {
        let mut classes = String::new();
        let mut style = String::new();
        let mut color = |c: Color, fg: bool| match c {
            Color::Index(i) if i < 16 => {
                classes.push_str(if fg { " a-fg-" } else { " a-bg-" });
                classes.push_str(&i.to_string());
            }
            other => {
                let (r, g, b) = rgb(other);
                style.push_str(if fg { "color:" } else { "background:" });
                style.push_str(&format!("rgb({r},{g},{b});"));
            }
        };
        if let Some(c) = self.fg {
            color(c, true);
        }
        if let Some(c) = self.bg {
            color(c, false);
        }
        for (on, class) in [
            (self.bold, " a-bold"),
            (self.dim, " a-dim"),
            (self.italic, " a-italic"),
            (self.underline, " a-underline"),
        ] {
            if on {
                classes.push_str(class);
            }
        }
        out.push_str("<span class=\"");
        out.push_str(classes.trim_start());
        out.push('"');
        if !style.is_empty() {
            out.push_str(" style=\"");
            out.push_str(&style);
            out.push('"');
        }
        out.push('>');
    }
}

/// The RGB value of a 256-colour palette entry (16–255) or a true colour.
fn rgb(c: Color) -> (u8, u8, u8) {
    match c {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Index(i) if i >= 232 => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
        Color::Index(i) => {
            let i = i.saturating_sub(16);
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level(i / 6 % 6), level(i % 6))
        }
    }
}

/// A run of text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    style: Style,
    text: String,
}

/// Splits a line into styled runs: SGR sequences set the style, other escape sequences are
/// dropped, and control characters become their visible symbols (␀, ␛…).
fn segments(line: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut style = Style::default();
    let mut text = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                let mut params = String::new();
                let mut last = None;
                for p in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&p) {
                        last = Some(p);
                        break;
                    }
                    params.push(p);
                }
                if last == Some('m') {
                    if !text.is_empty() {
                        out.push(Segment {
                            style,
                            text: std::mem::take(&mut text),
                        });
                    }
                    style.apply(&params);
                }
                continue;
            }
            text.push('\u{241b}');
            continue;
        }
        match c {
            '\t' => text.push(c),
            '\u{0}'..='\u{1f}' => {
                text.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'));
            }
            '\u{7f}' => text.push('\u{2421}'),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        out.push(Segment { style, text });
    }
    out
}

/// A line's text as shown (escape sequences gone), for filtering and searching.
pub(crate) fn plain(line: &str) -> String {
    segments(line).into_iter().map(|s| s.text).collect()
}

/// Byte ranges of `needle` in `haystack`, ignoring ASCII case.
pub(crate) fn find_all(haystack: &str, needle: &str) -> Vec<(usize, usize)> {
    if needle.is_empty() {
        return Vec::new();
    }
    let hay = haystack.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = hay[from..].find(&needle) {
        let start = from + at;
        found.push((start, start + needle.len()));
        from = start + needle.len();
    }
    found
}

/// A line as HTML: styled runs, with `marks` (byte ranges of the shown text) highlighted.
pub fn line_html(line: &str, marks: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut offset = 0;
    for segment in segments(line) {
        let styled = !segment.style.is_plain();
        if styled {
            segment.style.open(&mut out);
        }
        let end = offset + segment.text.len();
        let mut at = offset;
        for &(m_start, m_end) in marks {
            if m_end <= at || m_start >= end {
                continue;
            }
            let from = m_start.max(at);
            let to = m_end.min(end);
            escape_into(&segment.text[at - offset..from - offset], &mut out);
            out.push_str("<mark>");
            escape_into(&segment.text[from - offset..to - offset], &mut out);
            out.push_str("</mark>");
            at = to;
        }
        escape_into(&segment.text[at - offset..], &mut out);
        if styled {
            out.push_str("</span>");
        }
        offset = end;
    }
    out
}

/// What a marker says in the viewer.
pub fn marker_text(marker: &Marker) -> String {
    match marker {
        Marker::Ended => "container stopped".into(),
        Marker::Restarted => "container started".into(),
        Marker::Skipped { lines } => {
            format!("{lines} lines skipped: this view fell behind the container")
        }
        Marker::Lost { reason } => {
            format!("engine connection lost ({reason}); resuming when it is back")
        }
        Marker::Removed => "container removed".into(),
    }
}

/// `HH:MM:SS.mmm` (UTC) of a timestamp in milliseconds.
pub fn clock(ms: i64) -> String {
    let day = ms.rem_euclid(86_400_000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day / 3_600_000,
        day / 60_000 % 60,
        day / 1000 % 60,
        day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_a_line_stays_text() {
        assert_eq!(
            line_html("<script>alert(1)</script> & \"x\"", &[]),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"
        );
    }

    #[test]
    fn ansi_colours_become_classes_and_numeric_styles() {
        assert_eq!(
            line_html("\u{1b}[1;31merror\u{1b}[0m done", &[]),
            "<span class=\"a-fg-1 a-bold\">error</span> done"
        );
        assert_eq!(
            line_html("\u{1b}[38;5;196mred\u{1b}[39m", &[]),
            "<span class=\"\" style=\"color:rgb(255,0,0);\">red</span>"
        );
        assert_eq!(
            line_html("\u{1b}[48;2;1;2;3m\"<\u{1b}[m", &[]),
            "<span class=\"\" style=\"background:rgb(1,2,3);\">&quot;&lt;</span>"
        );
        // Cursor movement and other sequences are dropped, not shown.
        assert_eq!(line_html("a\u{1b}[2Kb\u{1b}[10;5Hc", &[]), "abc");
    }

    #[test]
    fn control_characters_are_shown_as_symbols() {
        assert_eq!(plain("a\u{0}b\u{7}c\u{7f}\u{1b}x\td"), "a␀b␇c␡␛x\td");
    }

    #[test]
    fn search_marks_span_styled_runs() {
        let line = "ab\u{1b}[32mcdef\u{1b}[0mgh";
        assert_eq!(plain(line), "abcdefgh");
        let marks = find_all(&plain(line), "BCD");
        assert_eq!(marks, vec![(1, 4)]);
        assert_eq!(
            line_html(line, &marks),
            "a<mark>b</mark><span class=\"a-fg-2\"><mark>cd</mark>ef</span>gh"
        );
    }

    #[test]
    fn timestamps_show_as_a_clock() {
        assert_eq!(clock(1_795_500_068_123), "06:01:08.123");
    }
}
