//! A code editor for Compose and `.env` files: a textarea over a syntax-highlighted copy of its
//! text, with line numbers, diagnostics marked on their lines and listed under the cursor,
//! Tab/Shift-Tab indentation, automatic indentation on Enter, and Ctrl/Cmd+S to save.
//! Also the line diff used to compare revisions.

use compose::diag::{Diagnostic, Severity};
use leptos::html::Textarea;
use leptos::prelude::*;

/// What the editor highlights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Yaml,
    Env,
}

const INDENT: &str = "  ";

/// Escapes text for HTML: the user's file is never markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

/// Appends `text` escaped for HTML to `out`.
pub fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn span(class: &str, text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("<span class=\"{class}\">{}</span>", escape(text))
    }
}

/// A scalar value, coloured by what it is; `${VAR}` references stand out inside.
fn value_html(value: &str) -> String {
    let (body, comment) = split_comment(value);
    let trimmed = body.trim();
    let class = if trimmed.starts_with(['"', '\'']) {
        "tok-string"
    } else if trimmed.starts_with(['&', '*']) {
        "tok-anchor"
    } else if trimmed.starts_with('!') {
        "tok-tag"
    } else if matches!(trimmed, "true" | "false" | "null" | "~" | "yes" | "no")
        || (!trimmed.is_empty() && trimmed.parse::<f64>().is_ok())
    {
        "tok-literal"
    } else {
        "tok-value"
    };
    let mut out = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(&span(class, &rest[..start]));
        out.push_str(&span("tok-var", &rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(&span(class, rest));
    out.push_str(&span("tok-comment", comment));
    out
}

/// Splits ` # comment` off a line part (a `#` inside quotes is not a comment).
fn split_comment(text: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') if previous == ' ' || i == 0 => quote = Some(c),
            (None, '#') if previous.is_whitespace() || i == 0 => return (&text[..i], &text[i..]),
            _ => {}
        }
        previous = c;
    }
    (text, "")
}

/// The position of the `:` that ends a mapping key on this line, if it has one.
fn key_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') if i == 0 => quote = Some(c),
            (None, '#') if i == 0 || text[..i].ends_with(' ') => return None,
            (None, ':') => {
                let after = text[i + 1..].chars().next();
                if after.is_none_or(char::is_whitespace) {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn yaml_line(line: &str) -> String {
    let indent_len = line.len() - line.trim_start().len();
    let (indent, mut rest) = line.split_at(indent_len);
    let mut out = escape(indent);
    if rest.starts_with('#') {
        return out + span("tok-comment", rest).as_str();
    }
    while let Some(r) = rest
        .strip_prefix("- ")
        .or_else(|| (rest == "-").then_some(""))
    {
        out.push_str(&span("tok-punct", "-"));
        out.push(' ');
        rest = r;
    }
    match key_end(rest) {
        Some(end) => {
            out.push_str(&span("tok-key", &rest[..end]));
            out.push_str(&span("tok-punct", ":"));
            out.push_str(&value_html(&rest[end + 1..]));
        }
        None => out.push_str(&value_html(rest)),
    }
    out
}

fn env_line(line: &str) -> String {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return span("tok-comment", line);
    }
    match line.split_once('=') {
        Some((key, value)) => format!(
            "{}{}{}",
            span("tok-key", key),
            span("tok-punct", "="),
            value_html(value)
        ),
        None => escape(line),
    }
}

/// The text as highlighted HTML, one `<span class="line">` per line, lines with diagnostics
/// marked (`line-error`, `line-warning`).
pub fn highlight(text: &str, language: Language, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for (i, line) in text.split('\n').enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let marks = diagnostics.iter().filter(|d| d.line == number);
        let class = match marks.map(|d| d.severity).min() {
            Some(Severity::Error) => "line line-error",
            Some(Severity::Warning) => "line line-warning",
            None => "line",
        };
        let body = match language {
            Language::Yaml => yaml_line(line),
            Language::Env => env_line(line),
        };
        out.push_str(&format!("<span class=\"{class}\">{body}</span>\n"));
    }
    out
}

/// 1-based line and column of a character offset (as textareas count: UTF-16 units).
pub fn line_col(text: &str, offset_utf16: u32) -> (u32, u32) {
    let mut line = 1;
    let mut col = 1;
    let mut seen = 0_u32;
    for c in text.chars() {
        if seen >= offset_utf16 {
            break;
        }
        seen += u32::try_from(c.len_utf16()).unwrap_or(1);
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// An edit to apply: the new text and the selection (UTF-16 offsets) after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub text: String,
    pub start: u32,
    pub end: u32,
}

fn utf16_to_byte(text: &str, offset: u32) -> usize {
    let mut seen = 0_u32;
    for (i, c) in text.char_indices() {
        if seen >= offset {
            return i;
        }
        seen += u32::try_from(c.len_utf16()).unwrap_or(1);
    }
    text.len()
}

fn byte_to_utf16(text: &str, byte: usize) -> u32 {
    u32::try_from(text[..byte.min(text.len())].encode_utf16().count()).unwrap_or(u32::MAX)
}

/// Tab (`outdent` false) or Shift-Tab (true) over the selection `start..end`: with no
/// selection Tab inserts an indent at the cursor; otherwise every selected line moves.
pub fn indent(text: &str, start: u32, end: u32, outdent: bool) -> Edit {
    let (s, e) = (utf16_to_byte(text, start), utf16_to_byte(text, end));
    if s == e && !outdent {
        let new = format!("{}{INDENT}{}", &text[..s], &text[s..]);
        let at = start + 2;
        return Edit {
            text: new,
            start: at,
            end: at,
        };
    }
    let first = text[..s].rfind('\n').map_or(0, |i| i + 1);
    let last_end = if e > s && text[..e].ends_with('\n') {
        e - 1
    } else {
        e
    };
    let last = text[last_end..]
        .find('\n')
        .map_or(text.len(), |i| last_end + i);
    let block = &text[first..last];
    let mut changed = String::with_capacity(block.len() + 16);
    let mut first_delta: i64 = 0;
    let mut total_delta: i64 = 0;
    for (i, line) in block.split('\n').enumerate() {
        if i > 0 {
            changed.push('\n');
        }
        let delta = if outdent {
            let strip = line.len() - line.trim_start_matches(' ').len();
            let n = strip.min(INDENT.len());
            changed.push_str(&line[n..]);
            -i64::try_from(n).unwrap_or(0)
        } else {
            changed.push_str(INDENT);
            changed.push_str(line);
            2
        };
        if i == 0 {
            first_delta = delta;
        }
        total_delta += delta;
    }
    let new = format!("{}{changed}{}", &text[..first], &text[last..]);
    let shift = |v: u32, d: i64| u32::try_from((i64::from(v) + d).max(0)).unwrap_or(0);
    let line_start = byte_to_utf16(text, first);
    Edit {
        start: shift(start, first_delta).max(line_start),
        end: shift(end, total_delta),
        text: new,
    }
}

/// Enter: a new line with the current line's indentation, one step more after a `key:`.
pub fn newline(text: &str, start: u32, end: u32) -> Edit {
    let (s, e) = (utf16_to_byte(text, start), utf16_to_byte(text, end));
    let line_start = text[..s].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..s];
    let mut indent: String = line.chars().take_while(|c| *c == ' ').collect();
    let body = line.trim();
    if body.ends_with(':') {
        indent.push_str(INDENT);
    }
    let inserted = format!("\n{indent}");
    let new = format!("{}{inserted}{}", &text[..s], &text[e..]);
    let at = start + byte_to_utf16(&inserted, inserted.len());
    Edit {
        text: new,
        start: at,
        end: at,
    }
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// The lines of `old` and `new`, aligned on their longest common subsequence. Inputs too large
/// for that (over four million line pairs) show as wholly replaced.
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Common head and tail first: edits are usually small.
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut out: Vec<DiffLine> = a[..head]
        .iter()
        .map(|l| DiffLine::Same((*l).to_owned()))
        .collect();
    if ma.len().saturating_mul(mb.len()) > 4_000_000 {
        out.extend(ma.iter().map(|l| DiffLine::Removed((*l).to_owned())));
        out.extend(mb.iter().map(|l| DiffLine::Added((*l).to_owned())));
    } else {
        let (n, m) = (ma.len(), mb.len());
        let mut lcs = vec![0_u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * (m + 1) + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    lcs[(i + 1) * (m + 1) + j].max(lcs[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                out.push(DiffLine::Same(ma[i].to_owned()));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
                out.push(DiffLine::Removed(ma[i].to_owned()));
                i += 1;
            } else {
                out.push(DiffLine::Added(mb[j].to_owned()));
                j += 1;
            }
        }
    }
    out.extend(
        a[a.len() - tail..]
            .iter()
            .map(|l| DiffLine::Same((*l).to_owned())),
    );
    out
}

/// A diff as a table: removed lines red, added green, with line numbers of both sides.
#[component]
pub fn DiffView(
    old: String,
    new: String,
    #[prop(default = "diff")] test: &'static str,
) -> impl IntoView {
    let lines = line_diff(&old, &new);
    if lines.iter().all(|l| matches!(l, DiffLine::Same(_))) {
        return view! { <p class="muted" data-test=test>"No changes."</p> }.into_any();
    }
    let (mut o, mut n) = (0, 0);
    let rows = lines
        .into_iter()
        .map(|l| {
            let (class, sign, text, left, right) = match l {
                DiffLine::Same(t) => {
                    o += 1;
                    n += 1;
                    ("diff-same", " ", t, o.to_string(), n.to_string())
                }
                DiffLine::Removed(t) => {
                    o += 1;
                    ("diff-removed", "-", t, o.to_string(), String::new())
                }
                DiffLine::Added(t) => {
                    n += 1;
                    ("diff-added", "+", t, String::new(), n.to_string())
                }
            };
            view! {
                <tr class=class>
                    <td class="diff-no">{left}</td>
                    <td class="diff-no">{right}</td>
                    <td class="diff-text mono">{format!("{sign} {text}")}</td>
                </tr>
            }
        })
        .collect_view();
    view! { <div class="diff" data-test=test><table><tbody>{rows}</tbody></table></div> }.into_any()
}

/// The editor. `diagnostics` mark their lines; those on the cursor's line are listed under it.
#[component]
pub fn CodeEditor(
    value: RwSignal<String>,
    #[prop(into)] diagnostics: Signal<Vec<Diagnostic>>,
    language: Language,
    /// `data-test` name and accessible label.
    name: &'static str,
    label: &'static str,
    /// Called on Ctrl/Cmd+S.
    #[prop(optional)]
    on_save: Option<Callback<()>>,
    #[prop(optional)] readonly: bool,
) -> impl IntoView {
    let input = NodeRef::<Textarea>::new();
    let cursor = RwSignal::new((1_u32, 1_u32));
    let lines = move || value.with(|t| t.split('\n').count()).max(1);
    let highlighted = move || diagnostics.with(|d| value.with(|t| highlight(t, language, d)));
    let gutter = move || {
        let d = diagnostics.get();
        (1..=lines())
            .map(|n| {
                let number = u32::try_from(n).unwrap_or(u32::MAX);
                let mark = d
                    .iter()
                    .filter(|x| x.line == number)
                    .map(|x| x.severity)
                    .min();
                let class = match mark {
                    Some(Severity::Error) => "gutter-line gutter-error",
                    Some(Severity::Warning) => "gutter-line gutter-warning",
                    None => "gutter-line",
                };
                view! { <span class=class data-line=n>{n}</span> }
            })
            .collect_view()
    };
    let track = move || {
        if let Some(el) = input.get_untracked() {
            let at = el.selection_start().ok().flatten().unwrap_or(0);
            cursor.set(value.with_untracked(|t| line_col(t, at)));
        }
    };
    let apply = move |edit: Edit| {
        value.set(edit.text.clone());
        if let Some(el) = input.get_untracked() {
            el.set_value(&edit.text);
            let _ = el.set_selection_range(edit.start, edit.end);
        }
        track();
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if readonly {
            return;
        }
        let Some(el) = input.get_untracked() else {
            return;
        };
        let start = el.selection_start().ok().flatten().unwrap_or(0);
        let end = el.selection_end().ok().flatten().unwrap_or(start);
        let key = ev.key();
        if (ev.ctrl_key() || ev.meta_key()) && key.eq_ignore_ascii_case("s") {
            ev.prevent_default();
            if let Some(save) = on_save {
                save.run(());
            }
        } else if key == "Tab" {
            ev.prevent_default();
            apply(indent(&el.value(), start, end, ev.shift_key()));
        } else if key == "Enter" && language == Language::Yaml && !ev.shift_key() {
            ev.prevent_default();
            apply(newline(&el.value(), start, end));
        }
    };
    let at_cursor = move || {
        let (line, _) = cursor.get();
        diagnostics
            .get()
            .into_iter()
            .filter(|d| d.line == line)
            .map(|d| {
                let class = if d.is_error() {
                    "cursor-diag diag-error"
                } else {
                    "cursor-diag diag-warning"
                };
                view! { <p class=class>{format!("{}:{} {}", d.line, d.column, d.message)}</p> }
            })
            .collect_view()
    };
    view! {
        <div class="editor" data-test=name>
            <div class="editor-gutter" aria-hidden="true">{gutter}</div>
            <div class="editor-body">
                <pre class="editor-highlight" aria-hidden="true" inner_html=highlighted></pre>
                <textarea
                    node_ref=input
                    class="editor-input"
                    aria-label=label
                    data-test=format!("{name}-input")
                    spellcheck="false"
                    autocapitalize="off"
                    autocomplete="off"
                    wrap="off"
                    readonly=readonly
                    rows=move || lines().to_string()
                    prop:value=move || value.get()
                    on:input=move |ev| {
                        value.set(event_target_value(&ev));
                        track();
                    }
                    on:keydown=on_keydown
                    on:keyup=move |_| track()
                    on:click=move |_| track()
                    on:select=move |_| track()
                >{value.get_untracked()}</textarea>
            </div>
        </div>
        <div class="editor-status" data-test=format!("{name}-cursor")>
            <span class="muted">{move || { let (l, c) = cursor.get(); format!("Line {l}, column {c}") }}</span>
            {at_cursor}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose::diag::Pos;

    #[test]
    fn yaml_is_highlighted_and_escaped() {
        let html = highlight(
            "services:\n  web:\n    image: \"<b>\" # tag\n    - x: ${V}\n",
            Language::Yaml,
            &[],
        );
        assert!(
            html.contains("<span class=\"tok-key\">services</span>"),
            "{html}"
        );
        assert!(html.contains("&quot;&lt;b&gt;&quot;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(
            html.contains("<span class=\"tok-comment\"># tag</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"tok-var\">${V}</span>"),
            "{html}"
        );
    }

    #[test]
    fn lines_with_diagnostics_are_marked() {
        let d = vec![Diagnostic::error("x", Pos::new(2, 3), "bad")];
        let html = highlight("a: 1\nb: 2\n", Language::Yaml, &d);
        assert_eq!(html.matches("line line-error").count(), 1);
        assert!(
            html.split('\n')
                .nth(1)
                .is_some_and(|l| l.contains("line-error"))
        );
    }

    #[test]
    fn tab_indents_and_shift_tab_outdents_the_selected_lines() {
        let e = indent("a\nb\nc", 0, 3, false);
        assert_eq!(e.text, "  a\n  b\nc");
        let back = indent(&e.text, 0, 7, true);
        assert_eq!(back.text, "a\nb\nc");
        let at_cursor = indent("ab", 1, 1, false);
        assert_eq!((at_cursor.text.as_str(), at_cursor.start), ("a  b", 3));
    }

    #[test]
    fn enter_keeps_and_deepens_the_indentation() {
        let e = newline("services:", 9, 9);
        assert_eq!(e.text, "services:\n  ");
        let e = newline("    image: x", 12, 12);
        assert_eq!(e.text, "    image: x\n    ");
    }

    #[test]
    fn cursor_offsets_become_lines_and_columns() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 2), (2, 1));
    }

    #[test]
    fn the_diff_aligns_common_lines() {
        let d = line_diff("a\nb\nc\n", "a\nx\nc\nd\n");
        assert_eq!(
            d,
            [
                DiffLine::Same("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Added("x".into()),
                DiffLine::Same("c".into()),
                DiffLine::Added("d".into()),
            ]
        );
    }
}
