//! Live resource usage from `/api/v1/stats`: charts of the last five minutes for a container,
//! a per-service table with sparklines for a stack, and the figures of the containers list.

use std::collections::{HashMap, VecDeque};

use engine::model::feeds::{FeedMember, FeedRequest, StatsFrame, StatsSample};
use leptos::prelude::*;

use crate::components::feed::{decode, open_feed, request_json};
use crate::components::format;

/// The window the charts show.
pub const WINDOW_MS: i64 = 5 * 60_000;

/// Samples per container and who the containers are, as they arrive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub samples: HashMap<String, VecDeque<StatsSample>>,
    pub members: HashMap<String, FeedMember>,
    /// Bumped on every frame, so charts move even when values repeat.
    pub frames: u64,
}

impl Usage {
    fn add(&mut self, items: Vec<StatsSample>) {
        for s in items {
            let list = self.samples.entry(s.container.clone()).or_default();
            if list.back().is_some_and(|last| last.at >= s.at) {
                continue;
            }
            list.push_back(s);
            while list.len() > 2
                && list
                    .front()
                    .zip(list.back())
                    .is_some_and(|(f, b)| b.at - f.at > WINDOW_MS)
            {
                list.pop_front();
            }
        }
        self.frames += 1;
    }

    /// The newest sample of a container.
    pub fn latest(&self, container: &str) -> Option<&StatsSample> {
        self.samples.get(container).and_then(VecDeque::back)
    }
}

/// Follows the usage of what `request` names; a new request replaces the old one.
pub fn use_stats(request: Signal<FeedRequest>) -> RwSignal<Usage> {
    let usage = RwSignal::new(Usage::default());
    let (_, send) = open_feed(
        "/api/v1/stats",
        move || request_json(&request.get_untracked()),
        move |text| match decode::<StatsFrame>(&text) {
            Some(StatsFrame::Joined { members }) => usage.update(|u| {
                for m in members {
                    u.members.insert(m.container.clone(), m);
                }
            }),
            Some(StatsFrame::Samples { items }) => usage.update(|u| u.add(items)),
            _ => {}
        },
    );
    Effect::new(move |previous: Option<FeedRequest>| {
        let now = request.get();
        if previous.as_ref().is_some_and(|p| *p != now) {
            usage.set(Usage::default());
            send.run(request_json(&now));
        }
        now
    });
    usage
}

/// `12.3 %`, or `—` before the first rate.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1} %"))
}

/// `1.2 MB/s`.
pub fn rate(v: Option<f64>) -> String {
    v.map_or_else(
        || "—".into(),
        |v| format!("{}/s", format::bytes(v.round() as i64)),
    )
}

/// The time a chart spans: what there is, from half a minute up to [`WINDOW_MS`], so a chart
/// opened on a fresh container is not a sliver at its right edge.
pub fn span(points: &[(i64, f64)], now: i64) -> i64 {
    points
        .first()
        .map_or(0, |(first, _)| now - first)
        .clamp(30_000, WINDOW_MS)
}

/// The SVG path of `points` (time in ms, value) in a `width`×`height` box covering `span` ms
/// up to `now`, scaled to `top` (the value at the top edge).
pub fn path(
    points: &[(i64, f64)],
    (now, span): (i64, i64),
    top: f64,
    width: f64,
    height: f64,
) -> String {
    let top = if top > 0.0 { top } else { 1.0 };
    let mut d = String::new();
    for (at, v) in points {
        let x = width - (now - at) as f64 / span.max(1) as f64 * width;
        let y = height - (v / top).clamp(0.0, 1.0) * height;
        d.push_str(if d.is_empty() { "M" } else { " L" });
        d.push_str(&format!("{x:.1} {y:.1}"));
    }
    d
}

/// A labelled line of a chart: (time in ms, value) points.
pub type Series = (&'static str, Vec<(i64, f64)>);

/// One chart: up to two series over the last five minutes.
#[component]
fn Chart(
    title: &'static str,
    test: &'static str,
    #[prop(into)] series: Signal<Vec<Series>>,
    /// Formats a value for the legend.
    show: fn(f64) -> String,
    /// The smallest top of the scale (the scale follows the largest value above it, so small
    /// figures still draw a visible line).
    floor: f64,
) -> impl IntoView {
    const W: f64 = 300.0;
    const H: f64 = 80.0;
    let drawn = move || {
        let series = series.get();
        let now = series
            .iter()
            .flat_map(|(_, p)| p.last().map(|(at, _)| *at))
            .max()
            .unwrap_or(0);
        let largest = series
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(_, v)| *v))
            .fold(0.0_f64, f64::max);
        let top = (largest * 1.25).max(floor);
        let window = series
            .iter()
            .map(|(_, p)| span(p, now))
            .max()
            .unwrap_or(30_000);
        let count: usize = series.iter().map(|(_, p)| p.len()).sum();
        let lines = series
            .iter()
            .enumerate()
            .map(|(i, (_, points))| {
                view! { <path class=format!("chart-line chart-{i}") d=path(points, (now, window), top, W, H)/> }
            })
            .collect_view();
        let legend = series
            .iter()
            .enumerate()
            .map(|(i, (label, points))| {
                let value = points.last().map_or_else(|| "—".to_owned(), |(_, v)| show(*v));
                view! { <span class=format!("legend chart-{i}")>{format!("{label} {value}")}</span> }
            })
            .collect_view();
        (lines, legend, count, show(top), format::duration(window))
    };
    view! {
        <figure class="chart" data-test=test>
            {move || {
                let (lines, legend, count, top, window) = drawn();
                view! {
                    <figcaption><strong>{title}</strong>" "{legend}</figcaption>
                    <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img" aria-label=title data-samples=count.to_string()>
                        <line class="chart-grid" x1="0" y1=H/2.0 x2=W y2=H/2.0/>
                        {lines}
                    </svg>
                    <div class="chart-scale muted"><span>{format!("{window} ago")}</span><span>{format!("top {top}")}</span><span>"now"</span></div>
                }
            }}
        </figure>
    }
}

fn series_of(
    usage: RwSignal<Usage>,
    container: String,
    pick: fn(&StatsSample) -> Option<f64>,
) -> Vec<(i64, f64)> {
    usage.with(|u| {
        u.samples
            .get(&container)
            .map(|list| {
                list.iter()
                    .filter_map(|s| pick(s).map(|v| (s.at, v)))
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// Live charts of one container: CPU, memory, network and disk over the last five minutes.
#[component]
pub fn ContainerStats(container: String) -> impl IntoView {
    let request = Signal::stored(FeedRequest {
        containers: vec![container.clone()],
        ..FeedRequest::default()
    });
    let usage = use_stats(request);
    // The feed answers with full ids; the page may know the container by name.
    let id = move || usage.with(|u| u.samples.keys().next().cloned().unwrap_or_default());
    let latest = move || usage.with(|u| u.latest(&id()).cloned());
    let cpu = Signal::derive(move || vec![("CPU", series_of(usage, id(), |s| s.cpu_percent))]);
    let memory = Signal::derive(move || {
        vec![(
            "used",
            series_of(usage, id(), |s| Some(s.memory_bytes as f64)),
        )]
    });
    let net = Signal::derive(move || {
        vec![
            ("in", series_of(usage, id(), |s| s.net_rx_per_s)),
            ("out", series_of(usage, id(), |s| s.net_tx_per_s)),
        ]
    });
    let disk = Signal::derive(move || {
        vec![
            ("read", series_of(usage, id(), |s| s.block_read_per_s)),
            ("write", series_of(usage, id(), |s| s.block_write_per_s)),
        ]
    });
    view! {
        <section class="panel" data-test="container-stats">
            <h2>"Usage"</h2>
            <p class="muted" data-test="stats-summary">{move || match latest() {
                Some(s) => format!("CPU {} · memory {} of {} · {}",
                    percent(s.cpu_percent), format::bytes(s.memory_bytes as i64), format::bytes(s.memory_limit as i64),
                    format::count(i64::try_from(s.pids).unwrap_or(i64::MAX), "process", "processes")),
                None => "Waiting for the first reading (only running containers have one)…".to_owned(),
            }}</p>
            <div class="charts">
                <Chart title="CPU" test="cpu-chart" series=cpu show=|v| format!("{v:.1} %") floor=5.0/>
                <Chart title="Memory" test="memory-chart" series=memory show=|v| format::bytes(v as i64) floor=1_048_576.0/>
                <Chart title="Network" test="net-chart" series=net show=|v| rate(Some(v)) floor=1024.0/>
                <Chart title="Disk" test="disk-chart" series=disk show=|v| rate(Some(v)) floor=1024.0/>
            </div>
        </section>
    }
}

/// A service's usage: its containers' newest samples added up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceUsage {
    pub service: String,
    pub containers: usize,
    pub cpu: Option<f64>,
    pub memory: u64,
    pub net_rx: Option<f64>,
    pub net_tx: Option<f64>,
    /// CPU over the window, summed per second.
    pub cpu_history: Vec<(i64, f64)>,
}

fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

/// Usage per service (containers without one count under their name), by service name.
pub fn per_service(usage: &Usage) -> Vec<ServiceUsage> {
    let mut out: HashMap<String, ServiceUsage> = HashMap::new();
    let mut history: HashMap<String, HashMap<i64, f64>> = HashMap::new();
    for (container, list) in &usage.samples {
        let service = usage
            .members
            .get(container)
            .map(|m| m.service.clone().unwrap_or_else(|| m.name.clone()))
            .unwrap_or_else(|| container.clone());
        let entry = out.entry(service.clone()).or_insert_with(|| ServiceUsage {
            service: service.clone(),
            ..ServiceUsage::default()
        });
        entry.containers += 1;
        if let Some(s) = list.back() {
            entry.cpu = add(entry.cpu, s.cpu_percent);
            entry.memory += s.memory_bytes;
            entry.net_rx = add(entry.net_rx, s.net_rx_per_s);
            entry.net_tx = add(entry.net_tx, s.net_tx_per_s);
        }
        let seconds = history.entry(service).or_default();
        for s in list {
            if let Some(cpu) = s.cpu_percent {
                *seconds.entry(s.at / 1000 * 1000).or_default() += cpu;
            }
        }
    }
    let mut list: Vec<ServiceUsage> = out
        .into_values()
        .map(|mut s| {
            let mut points: Vec<(i64, f64)> = history
                .remove(&s.service)
                .unwrap_or_default()
                .into_iter()
                .collect();
            points.sort_by_key(|(at, _)| *at);
            s.cpu_history = points;
            s
        })
        .collect();
    list.sort_by(|a, b| a.service.cmp(&b.service));
    list
}

/// A stack's usage per service, live: figures and a CPU sparkline each.
#[component]
pub fn StackStats(stack: String) -> impl IntoView {
    let request = Signal::stored(FeedRequest {
        stack: Some(stack),
        ..FeedRequest::default()
    });
    let usage = use_stats(request);
    let rows = move || usage.with(per_service);
    view! {
        <section class="panel" data-test="stack-stats">
            <h2>"Usage per service"</h2>
            {move || {
                let rows = rows();
                if rows.is_empty() {
                    return view! { <p class="muted">"No running container to measure yet."</p> }.into_any();
                }
                let now = rows.iter().flat_map(|r| r.cpu_history.last().map(|(at, _)| *at)).max().unwrap_or(0);
                view! {
                    <table class="table">
                        <thead><tr><th>"Service"</th><th>"Containers"</th><th>"CPU"</th><th>"CPU, last 5 min"</th><th>"Memory"</th><th>"Network in / out"</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| {
                                let top = (r.cpu_history.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max) * 1.25).max(5.0);
                                view! {
                                    <tr data-test="service-usage" data-service=r.service.clone()>
                                        <td>{r.service.clone()}</td>
                                        <td>{r.containers}</td>
                                        <td data-test="service-cpu">{percent(r.cpu)}</td>
                                        <td>
                                            <svg class="sparkline" viewBox="0 0 120 24" preserveAspectRatio="none" data-test="cpu-chart" data-samples=r.cpu_history.len().to_string()>
                                                <path class="chart-line chart-0" d=path(&r.cpu_history, (now, span(&r.cpu_history, now)), top, 120.0, 24.0)/>
                                            </svg>
                                        </td>
                                        <td>{format::bytes(r.memory as i64)}</td>
                                        <td>{format!("{} / {}", rate(r.net_rx), rate(r.net_tx))}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(container: &str, at: i64, cpu: Option<f64>, memory: u64) -> StatsSample {
        StatsSample {
            container: container.into(),
            at,
            cpu_percent: cpu,
            cpus: 2,
            memory_bytes: memory,
            memory_limit: 1 << 30,
            net_rx_per_s: Some(10.0),
            net_tx_per_s: None,
            block_read_per_s: None,
            block_write_per_s: None,
            pids: 1,
        }
    }

    #[test]
    fn the_window_keeps_five_minutes_and_ignores_repeats() {
        let mut u = Usage::default();
        u.add(
            (0..400)
                .map(|s| sample("a", s * 1000, Some(1.0), 5))
                .collect(),
        );
        u.add(vec![sample("a", 399_000, Some(9.0), 5)]);
        let list = &u.samples["a"];
        assert_eq!(list.back().map(|s| s.cpu_percent), Some(Some(1.0)));
        assert!(
            list.back().map(|s| s.at).unwrap_or(0) - list.front().map(|s| s.at).unwrap_or(0)
                <= WINDOW_MS
        );
    }

    #[test]
    fn services_add_up_their_replicas() {
        let mut u = Usage::default();
        for (c, service) in [("a", "web"), ("b", "web"), ("c", "db")] {
            u.members.insert(
                c.into(),
                FeedMember {
                    container: c.into(),
                    name: format!("{service}-{c}"),
                    service: Some(service.into()),
                },
            );
        }
        u.add(vec![
            sample("a", 1000, Some(10.0), 100),
            sample("b", 1200, Some(5.0), 50),
            sample("c", 1000, None, 7),
        ]);
        let rows = per_service(&u);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].service.as_str(), rows[0].cpu, rows[0].memory),
            ("db", None, 7)
        );
        assert_eq!(
            (rows[1].service.as_str(), rows[1].cpu, rows[1].memory),
            ("web", Some(15.0), 150)
        );
        assert_eq!(rows[1].cpu_history, vec![(1000, 15.0)]);
        assert_eq!(rows[1].net_rx, Some(20.0));
    }

    #[test]
    fn a_chart_spans_what_there_is_up_to_five_minutes() {
        assert_eq!(span(&[(1_000, 1.0)], 6_000), 30_000);
        assert_eq!(span(&[(0, 1.0)], 90_000), 90_000);
        assert_eq!(span(&[(0, 1.0)], 900_000), WINDOW_MS);
    }

    #[test]
    fn a_chart_path_spans_the_window_and_is_clamped() {
        assert_eq!(
            path(
                &[(0, 0.0), (WINDOW_MS, 200.0)],
                (WINDOW_MS, WINDOW_MS),
                100.0,
                300.0,
                80.0
            ),
            "M0.0 80.0 L300.0 0.0"
        );
    }
}
