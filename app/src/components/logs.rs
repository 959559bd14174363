//! The live log viewer: one container's log, or a whole stack's combined (each container with
//! its own colour tag). Lines arrive over `/api/v1/logs`; only the rows in view are in the page
//! (so 100,000 lines scroll smoothly), ANSI colours are rendered, and nothing a container prints
//! is ever read as markup.

use std::collections::HashMap;

use engine::model::feeds::{FeedMember, FeedRequest, LogBody, LogFrame, LogItem, Stream};
use leptos::html::Div;
use leptos::prelude::*;

pub use crate::components::log_filter::Filter;
use crate::components::log_filter::Matcher;

use crate::components::ansi::{clock, find_all, line_html, marker_text, plain};
use crate::components::editor::escape_into;
use crate::components::feed::{FeedState, decode, open_feed, request_json};

/// Lines kept in the browser; the oldest fifth goes when there are more.
pub const MAX_ROWS: usize = 200_000;
/// Height of one row in pixels (the stylesheet's `.log-line` line height).
const ROW_PX: f64 = 18.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 30;

/// One row of the viewer.
#[derive(Debug, Clone)]
struct Row {
    member: usize,
    at: i64,
    /// `None` for a marker.
    stream: Option<Stream>,
    /// As printed (with escape sequences), or the marker's text.
    text: String,
    /// The shown text when it differs from `text`.
    shown: Option<String>,
    cut: usize,
}

impl Row {
    fn shown(&self) -> &str {
        self.shown.as_deref().unwrap_or(&self.text)
    }
}

/// Everything the viewer holds: rows, which of them show, and where each starts.
#[derive(Default)]
pub struct LogBuffer {
    rows: Vec<Row>,
    members: Vec<FeedMember>,
    member_index: HashMap<String, usize>,
    /// Indexes of the rows that pass the filter.
    visible: Vec<usize>,
    /// The first screen row of each visible row (more than one per row when wrapping).
    tops: Vec<usize>,
    total: usize,
    /// Characters per screen row when wrapping (0: no wrapping).
    columns: usize,
    /// Extra characters before each line (timestamp, tag) when wrapping.
    prefix: usize,
    filter: Filter,
    matcher: Option<Matcher>,
    pub filter_error: Option<String>,
    pub newest: Option<i64>,
}

impl LogBuffer {
    fn height(&self, row: &Row) -> usize {
        if self.columns == 0 {
            return 1;
        }
        let chars = row.shown().chars().count() + self.prefix;
        chars.div_ceil(self.columns).max(1)
    }

    fn passes(&self, row: &Row) -> bool {
        match row.stream {
            None => true,
            Some(stream) => {
                (match stream {
                    Stream::Stdout => self.filter.stdout,
                    Stream::Stderr => self.filter.stderr,
                }) && self.matcher.as_ref().is_none_or(|m| m.matches(row.shown()))
            }
        }
    }

    fn index(&mut self, row: usize) {
        if self.passes(&self.rows[row]) {
            self.visible.push(row);
            self.tops.push(self.total);
            self.total += self.height(&self.rows[row]);
        }
    }

    /// Recomputes which rows show and where.
    fn rebuild(&mut self) {
        self.visible.clear();
        self.tops.clear();
        self.total = 0;
        for row in 0..self.rows.len() {
            self.index(row);
        }
    }

    /// Sets the filter; rows are shown again from scratch.
    pub fn set_filter(&mut self, filter: Filter) {
        match Matcher::new(&filter) {
            Ok(m) => {
                self.matcher = Some(m);
                self.filter_error = None;
            }
            Err(e) => {
                self.matcher = None;
                self.filter_error = Some(e);
            }
        }
        self.filter = filter;
        self.rebuild();
    }

    /// Sets the wrapping geometry; rows are laid out again when it changed.
    pub fn set_layout(&mut self, columns: usize, prefix: usize) {
        if (columns, prefix) != (self.columns, self.prefix) {
            self.columns = columns;
            self.prefix = prefix;
            self.rebuild();
        }
    }

    pub fn join(&mut self, members: Vec<FeedMember>) {
        for m in members {
            if !self.member_index.contains_key(&m.container) {
                self.member_index
                    .insert(m.container.clone(), self.members.len());
                self.members.push(m);
            }
        }
    }

    pub fn push(&mut self, items: Vec<LogItem>) {
        for item in items {
            let member = self
                .member_index
                .get(&item.container)
                .copied()
                .unwrap_or(usize::MAX);
            let (stream, text, cut) = match item.body {
                LogBody::Line { stream, text, cut } => (Some(stream), text, cut),
                LogBody::Marker(m) => (None, marker_text(&m), 0),
            };
            if stream.is_some() {
                self.newest = Some(item.at);
            }
            let shown = text
                .contains(|c: char| c.is_control() && c != '\t')
                .then(|| plain(&text));
            self.rows.push(Row {
                member,
                at: item.at,
                stream,
                text,
                shown,
                cut,
            });
            let last = self.rows.len() - 1;
            self.index(last);
        }
        if self.rows.len() > MAX_ROWS {
            self.rows.drain(..MAX_ROWS / 5);
            self.rebuild();
        }
    }

    pub fn clear(&mut self) {
        self.rows.clear();
        self.rebuild();
    }

    pub fn lines(&self) -> usize {
        self.rows.len()
    }

    pub fn shown(&self) -> usize {
        self.visible.len()
    }

    pub fn total_rows(&self) -> usize {
        self.total
    }

    /// The screen row where visible row `n` starts.
    pub fn top_of(&self, n: usize) -> usize {
        self.tops.get(n).copied().unwrap_or(self.total)
    }

    /// Positions (in the visible rows) of rows containing `term`.
    pub fn search(&self, term: &str) -> Vec<usize> {
        if term.is_empty() {
            return Vec::new();
        }
        let needle = term.to_ascii_lowercase();
        self.visible
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let row = &self.rows[**r];
                row.stream.is_some() && row.shown().to_ascii_lowercase().contains(&needle)
            })
            .map(|(n, _)| n)
            .collect()
    }

    /// The HTML of the rows covering screen rows `first..first + count`, and the screen row
    /// the first of them starts at.
    pub fn window(
        &self,
        first: usize,
        count: usize,
        view: &View,
        current: Option<usize>,
    ) -> (String, usize) {
        let start = self.tops.partition_point(|t| *t <= first).saturating_sub(1);
        let mut html = String::new();
        let tagged = self.members.len() > 1 || view.tags;
        for n in start..self.visible.len() {
            if self.top_of(n) >= first + count {
                break;
            }
            let row = &self.rows[self.visible[n]];
            let class = match row.stream {
                None => "log-line log-marker",
                Some(Stream::Stderr) => "log-line log-stderr",
                Some(Stream::Stdout) => "log-line",
            };
            html.push_str("<div class=\"");
            html.push_str(class);
            if current == Some(n) {
                html.push_str(" log-current");
            }
            html.push_str("\">");
            if view.timestamps {
                html.push_str("<span class=\"log-time\">");
                html.push_str(&clock(row.at));
                html.push_str("</span>");
            }
            if tagged && let Some(m) = self.members.get(row.member) {
                html.push_str(&format!("<span class=\"log-tag tag-{}\">", row.member % 8));
                escape_into(m.service.as_deref().unwrap_or(&m.name), &mut html);
                if m.service.is_some()
                    && self
                        .members
                        .iter()
                        .filter(|o| o.service == m.service)
                        .count()
                        > 1
                {
                    html.push(' ');
                    escape_into(&m.name, &mut html);
                }
                html.push_str("</span>");
            }
            if row.stream.is_none() {
                html.push_str("— ");
                escape_into(&row.text, &mut html);
                html.push_str(" —");
            } else {
                let marks = find_all(row.shown(), &view.search);
                html.push_str(&line_html(&row.text, &marks));
                if row.cut > 0 {
                    html.push_str(&format!(
                        "<span class=\"log-cut\"> … {} more bytes cut</span>",
                        row.cut
                    ));
                }
            }
            html.push_str("</div>");
        }
        (html, self.top_of(start))
    }
}

/// How rows are drawn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    pub timestamps: bool,
    pub tags: bool,
    pub search: String,
}

/// Download ranges offered: label and milliseconds back (0: everything retained).
const RANGES: [(&str, i64); 4] = [
    ("Everything", 0),
    ("Last 15 minutes", 15 * 60_000),
    ("Last hour", 3_600_000),
    ("Last 24 hours", 86_400_000),
];

/// A live log viewer. `request` says what to watch (containers or a stack); `download` is the
/// REST path of the same log as a file.
#[component]
pub fn LogViewer(
    request: FeedRequest,
    download: String,
    #[prop(optional)] tags: bool,
) -> impl IntoView {
    let buffer = StoredValue::new(LogBuffer {
        filter: Filter {
            stdout: true,
            stderr: true,
            ..Filter::default()
        },
        ..LogBuffer::default()
    });
    let version = RwSignal::new(0_u64);
    let refused = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<String>);
    let follow = RwSignal::new(true);
    let unseen = RwSignal::new(0_usize);
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(480.0_f64);
    let wrap = RwSignal::new(false);
    let timestamps = RwSignal::new(false);
    let filter_text = RwSignal::new(String::new());
    let regex = RwSignal::new(false);
    let stdout = RwSignal::new(true);
    let stderr = RwSignal::new(true);
    let search = RwSignal::new(String::new());
    let current = RwSignal::new(None::<usize>);
    let range = RwSignal::new(0_usize);
    let scroller = NodeRef::<Div>::new();
    let probe = NodeRef::<leptos::html::Span>::new();

    let initial = request.clone();
    let (state, _) = open_feed(
        "/api/v1/logs",
        move || {
            // After a reconnect, only what came after the newest line already shown.
            let mut r = initial.clone();
            if let Some(newest) = buffer.with_value(|b| b.newest) {
                r.since = Some(newest + 1);
            }
            request_json(&r)
        },
        move |text| match decode::<LogFrame>(&text) {
            Some(LogFrame::Joined { members }) => buffer.update_value(|b| b.join(members)),
            Some(LogFrame::Lines { items }) => {
                let n = items.len();
                buffer.update_value(|b| b.push(items));
                if !follow.get_untracked() {
                    unseen.update(|u| *u += n);
                }
                version.update(|v| *v += 1);
            }
            Some(LogFrame::Refused { container }) => refused.update(|r| r.push(container)),
            Some(LogFrame::Error { message }) => error.set(Some(message)),
            None => {}
        },
    );

    // Filter changes lay the rows out again.
    Effect::new(move |_| {
        let filter = Filter {
            text: filter_text.get(),
            regex: regex.get(),
            stdout: stdout.get(),
            stderr: stderr.get(),
        };
        buffer.update_value(|b| b.set_filter(filter));
        current.set(None);
        version.update(|v| *v += 1);
    });
    // Wrapping needs the viewer's width in characters.
    let measure = move || {
        let columns = if wrap.get_untracked() {
            match (scroller.get_untracked(), probe.get_untracked()) {
                (Some(el), Some(p)) => {
                    let char_px = f64::from(p.offset_width()) / 10.0;
                    let width = f64::from(el.client_width()) - 16.0;
                    if char_px > 0.0 {
                        (width / char_px).floor().max(10.0) as usize
                    } else {
                        0
                    }
                }
                _ => 0,
            }
        } else {
            0
        };
        let prefix = if timestamps.get_untracked() { 13 } else { 0 } + if tags { 14 } else { 0 };
        buffer.update_value(|b| b.set_layout(columns, prefix));
        if let Some(el) = scroller.get_untracked() {
            viewport.set(f64::from(el.client_height()).max(ROW_PX));
        }
    };
    Effect::new(move |_| {
        wrap.track();
        timestamps.track();
        measure();
        version.update(|v| *v += 1);
    });
    // Following: stay at the bottom as lines arrive. The scroll waits for the next frame, when
    // the taller space the new rows need is laid out; scrolled earlier it stops short of the end.
    Effect::new(move |_| {
        version.track();
        if follow.get() {
            request_animation_frame(move || {
                if follow.get_untracked()
                    && let Some(el) = scroller.get_untracked()
                {
                    el.set_scroll_top(el.scroll_height());
                }
            });
        }
    });

    // Only the reader moving up leaves Follow: the view's own scrolls, and the space growing
    // under it, only ever move it down or keep it in place.
    let last_top = StoredValue::new(0_i32);
    let on_scroll = move |_| {
        let Some(el) = scroller.get_untracked() else {
            return;
        };
        let top = el.scroll_top();
        let moved_up = top < last_top.get_value();
        last_top.set_value(top);
        scroll_top.set(f64::from(top));
        viewport.set(f64::from(el.client_height()).max(ROW_PX));
        let at_bottom = top + el.client_height() >= el.scroll_height() - 4;
        if at_bottom {
            if !follow.get_untracked() {
                follow.set(true);
                unseen.set(0);
            }
        } else if moved_up && follow.get_untracked() {
            follow.set(false);
        }
    };
    let resume = move |_| {
        follow.set(true);
        unseen.set(0);
        version.update(|v| *v += 1);
    };

    let matches = Memo::new(move |_| {
        version.track();
        let term = search.get();
        buffer.with_value(|b| b.search(&term))
    });
    let go = move |step: isize| {
        let found = matches.get_untracked();
        if found.is_empty() {
            return;
        }
        let next = match current
            .get_untracked()
            .and_then(|c| found.iter().position(|f| *f == c))
        {
            Some(i) => (i as isize + step).rem_euclid(found.len() as isize) as usize,
            None if step < 0 => found.len() - 1,
            None => 0,
        };
        let n = found[next];
        current.set(Some(n));
        follow.set(false);
        if let Some(el) = scroller.get_untracked() {
            let top = buffer.with_value(|b| b.top_of(n)) as f64 * ROW_PX;
            let target = (top - viewport.get_untracked() / 2.0).max(0.0);
            el.set_scroll_top(target as i32);
            scroll_top.set(target);
        }
    };

    let rendered = move || {
        version.track();
        let view = View {
            timestamps: timestamps.get(),
            tags,
            search: search.get(),
        };
        let first = (scroll_top.get() / ROW_PX).floor() as usize;
        let count = (viewport.get() / ROW_PX).ceil() as usize;
        let from = first.saturating_sub(OVERSCAN);
        buffer.with_value(|b| {
            let (html, top) = b.window(from, count + 2 * OVERSCAN, &view, current.get());
            (html, top, b.total_rows())
        })
    };
    let counts = move || {
        version.track();
        buffer.with_value(|b| {
            if b.shown() == b.lines() {
                format!("{} lines", b.lines())
            } else {
                format!("{} of {} lines", b.shown(), b.lines())
            }
        })
    };
    let filter_error = move || {
        version.track();
        buffer.with_value(|b| b.filter_error.clone())
    };
    let download_href = move || {
        let back = RANGES[range.get()].1;
        if back == 0 {
            download.clone()
        } else {
            format!(
                "{download}?since={}",
                crate::components::format::now_ms() - back
            )
        }
    };
    let clear = move |_| {
        buffer.update_value(LogBuffer::clear);
        unseen.set(0);
        current.set(None);
        version.update(|v| *v += 1);
    };

    view! {
        <section class="panel log-viewer" data-test="log-viewer">
            <div class="log-toolbar" role="toolbar" aria-label="Log view">
                <input type="search" class="log-filter" placeholder="Filter lines" aria-label="Filter lines" data-test="log-filter"
                    prop:value=move || filter_text.get() on:input=move |ev| filter_text.set(event_target_value(&ev))/>
                <label class="checkbox"><input type="checkbox" data-test="log-regex" prop:checked=move || regex.get()
                    on:change=move |ev| regex.set(event_target_checked(&ev))/>" Regex"</label>
                <label class="checkbox"><input type="checkbox" data-test="log-stdout" prop:checked=move || stdout.get()
                    on:change=move |ev| stdout.set(event_target_checked(&ev))/>" stdout"</label>
                <label class="checkbox"><input type="checkbox" data-test="log-stderr" prop:checked=move || stderr.get()
                    on:change=move |ev| stderr.set(event_target_checked(&ev))/>" stderr"</label>
                <span class="log-search">
                    <input type="search" placeholder="Search" aria-label="Search the log" data-test="log-search"
                        prop:value=move || search.get()
                        on:input=move |ev| { search.set(event_target_value(&ev)); current.set(None); }
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Enter" { go(if ev.shift_key() { -1 } else { 1 }); }/>
                    <button type="button" class="button button-quiet" aria-label="Previous match" on:click=move |_| go(-1)>"↑"</button>
                    <button type="button" class="button button-quiet" aria-label="Next match" data-test="log-next" on:click=move |_| go(1)>"↓"</button>
                    <span class="muted" data-test="log-matches">{move || {
                        let found = matches.get();
                        if search.with(String::is_empty) { String::new() }
                        else if found.is_empty() { "no match".into() }
                        else {
                            let at = current.get().and_then(|c| found.iter().position(|f| *f == c)).map_or(0, |i| i + 1);
                            format!("{at} of {}", found.len())
                        }
                    }}</span>
                </span>
                <label class="checkbox"><input type="checkbox" data-test="log-timestamps" prop:checked=move || timestamps.get()
                    on:change=move |ev| timestamps.set(event_target_checked(&ev))/>" Timestamps (UTC)"</label>
                <label class="checkbox"><input type="checkbox" data-test="log-wrap" prop:checked=move || wrap.get()
                    on:change=move |ev| wrap.set(event_target_checked(&ev))/>" Wrap"</label>
                <button type="button" class="button button-quiet" data-test="log-clear" on:click=clear>"Clear"</button>
                <select aria-label="Download range" on:change=move |ev| range.set(event_target_value(&ev).parse().unwrap_or(0))>
                    {RANGES.iter().enumerate().map(|(i, (label, _))| view! { <option value=i.to_string()>{*label}</option> }).collect_view()}
                </select>
                <a class="button button-quiet" data-test="log-download" href=download_href download="">"Download"</a>
            </div>
            {move || filter_error().map(|e| view! { <p class="form-error" data-test="log-filter-error">{format!("Not a valid regular expression: {e}")}</p> })}
            {move || error.get().map(|e| view! { <p class="form-error">{e}</p> })}
            {move || (!refused.with(Vec::is_empty)).then(|| view! {
                <p class="muted">{format!("Not shown (gone, or not yours to read): {}", refused.get().join(", "))}</p>
            })}
            <div class="log-scroll" class:log-wrap=move || wrap.get() node_ref=scroller on:scroll=on_scroll data-test="log-lines"
                tabindex="0" aria-label="Log lines" role="log">
                {move || {
                    let (html, top, total) = rendered();
                    view! {
                        <div class="log-space" style=format!("height:{}px", total as f64 * ROW_PX)>
                            <div class="log-window" style=format!("transform:translateY({}px)", top as f64 * ROW_PX) inner_html=html></div>
                        </div>
                    }
                }}
            </div>
            <span class="log-probe" aria-hidden="true" node_ref=probe>"0000000000"</span>
            <div class="log-status">
                <span class="muted" data-test="log-count">{counts}</span>
                {move || match state.get() {
                    FeedState::Open => view! { <span class="pill pill-ok"><span class="dot"></span>"Live"</span> }.into_any(),
                    FeedState::Connecting => view! { <span class="pill">"Connecting…"</span> }.into_any(),
                    FeedState::Retrying => view! { <span class="pill pill-warn">"Reconnecting…"</span> }.into_any(),
                }}
                {move || (!follow.get()).then(|| view! {
                    <button type="button" class="button" data-test="log-resume" on:click=resume>
                        {move || match unseen.get() { 0 => "Follow".to_owned(), n => format!("Follow ({n} new)") }}
                    </button>
                })}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::model::feeds::Marker;

    fn item(n: i64, stream: Stream, text: &str) -> LogItem {
        LogItem {
            container: "c".into(),
            at: n,
            body: LogBody::Line {
                stream,
                text: text.into(),
                cut: 0,
            },
        }
    }

    fn buffer() -> LogBuffer {
        let mut b = LogBuffer::default();
        b.join(vec![FeedMember {
            container: "c".into(),
            name: "web-1".into(),
            service: Some("web".into()),
        }]);
        b.set_filter(Filter {
            stdout: true,
            stderr: true,
            ..Filter::default()
        });
        b
    }

    #[test]
    fn only_the_rows_in_view_are_rendered() {
        let mut b = buffer();
        b.push(
            (0..100_000)
                .map(|n| item(n, Stream::Stdout, &format!("line {n}")))
                .collect(),
        );
        assert_eq!(b.total_rows(), 100_000);
        let (html, top) = b.window(50_000, 30, &View::default(), None);
        assert_eq!(top, 50_000);
        assert_eq!(html.matches("class=\"log-line\"").count(), 30);
        assert!(html.contains(">line 50000<"), "{html}");
    }

    #[test]
    fn filters_by_stream_and_text_and_wraps_long_lines() {
        let mut b = buffer();
        b.push(vec![
            item(1, Stream::Stdout, "GET /health 200"),
            item(2, Stream::Stderr, "panic: boom"),
            item(3, Stream::Stdout, &"x".repeat(250)),
            LogItem {
                container: "c".into(),
                at: 4,
                body: LogBody::Marker(Marker::Restarted),
            },
        ]);
        b.set_filter(Filter {
            text: "HEALTH".into(),
            regex: false,
            stdout: true,
            stderr: true,
        });
        assert_eq!(b.shown(), 2, "the match and the marker");
        b.set_filter(Filter {
            stdout: false,
            stderr: true,
            ..Filter::default()
        });
        assert_eq!(b.shown(), 2, "stderr and the marker");
        b.set_filter(Filter {
            stdout: true,
            stderr: true,
            ..Filter::default()
        });
        b.set_layout(100, 0);
        assert_eq!(b.total_rows(), 1 + 1 + 3 + 1);
        assert_eq!(b.search("boom"), vec![1]);
        let (html, _) = b.window(
            0,
            10,
            &View {
                search: "boom".into(),
                ..View::default()
            },
            Some(1),
        );
        assert!(
            html.contains("log-stderr log-current\">panic: <mark>boom</mark>"),
            "{html}"
        );
        assert!(html.contains("— container started —"), "{html}");
    }

    #[test]
    fn the_oldest_rows_go_past_the_limit() {
        let mut b = buffer();
        b.push(
            (0..=MAX_ROWS as i64)
                .map(|n| item(n, Stream::Stdout, "x"))
                .collect(),
        );
        assert_eq!(b.lines(), MAX_ROWS + 1 - MAX_ROWS / 5);
        assert_eq!(b.newest, Some(MAX_ROWS as i64));
    }
}
