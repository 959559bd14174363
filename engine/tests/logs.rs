//! The log hub against the real engine: one stream per container whatever the number of
//! viewers, a tail for late joiners, "ended"/"restarted" markers across a restart, "skipped"
//! markers for a slow viewer, and over-long lines cut. Containers carry the run label.

use std::time::Duration;

use engine::docker::DockerEngine;
use engine::docker::logs::{LogBody, LogHub, LogItem, LogSettings, Marker, Stream, Subscription};
use testkit::docker::TestRun;

async fn start(run: &TestRun, name: &str, script: &str) -> String {
    run.start_script(name, script, std::collections::HashMap::new())
        .await
        .expect("a container")
}

async fn engine() -> (DockerEngine, engine::docker::MonitorGuard) {
    let engine = DockerEngine::new(None);
    let monitor = engine.spawn_monitor();
    let mut syncs = engine.containers().subscribe_syncs();
    syncs.wait_for(|n| *n > 0).await.expect("first read");
    (engine, monitor)
}

fn text(item: &LogItem) -> Option<&str> {
    match &item.body {
        LogBody::Line { text, .. } => Some(text),
        LogBody::Marker(_) => None,
    }
}

/// The next item, failing after `limit`.
async fn next(sub: &mut Subscription, limit: Duration) -> LogItem {
    tokio::time::timeout(limit, sub.next())
        .await
        .expect("an item in time")
        .expect("the stream goes on")
}

/// Items until one satisfies `until` (included).
async fn read_until(sub: &mut Subscription, until: impl Fn(&LogItem) -> bool) -> Vec<LogItem> {
    let mut seen = Vec::new();
    loop {
        let item = next(sub, Duration::from_secs(10)).await;
        let done = until(&item);
        seen.push(item);
        if done {
            return seen;
        }
    }
}

const COUNT_THEN_WAIT: &str =
    "i=0; while [ $i -lt 50 ]; do echo line $i; i=$((i+1)); done; exec sleep 86400";

#[tokio::test]
async fn viewers_share_one_stream_and_late_joiners_get_the_tail() {
    let run = TestRun::new().expect("docker");
    let (engine, _monitor) = engine().await;
    let hub = LogHub::new(
        engine.clone(),
        LogSettings {
            linger: Duration::from_millis(200),
            ..LogSettings::default()
        },
    );
    let id = start(&run, "share", COUNT_THEN_WAIT).await;

    let mut first = hub.subscribe(&id, 0);
    let lines = read_until(&mut first, |i| text(i) == Some("line 49")).await;
    assert_eq!(lines.iter().filter_map(text).count(), 50);
    let mut others: Vec<Subscription> = (0..3).map(|_| hub.subscribe(&id, 10)).collect();
    let counters = hub.counters();
    assert_eq!((counters.upstreams, counters.viewers), (1, 4));
    for late in &others {
        let tail: Vec<&str> = late.tail.iter().filter_map(text).collect();
        assert_eq!(tail.first(), Some(&"line 40"));
        assert_eq!(tail.last(), Some(&"line 49"));
    }

    // A line written now reaches every viewer.
    testkit::docker::print_line(run.docker(), &id, "hello viewers", false)
        .await
        .expect("print a line");
    for sub in others.iter_mut().chain(std::iter::once(&mut first)) {
        read_until(sub, |i| text(i) == Some("hello viewers")).await;
    }

    drop(first);
    drop(others);
    assert_eq!(hub.counters().viewers, 0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        hub.counters().upstreams,
        0,
        "the stream stops after the linger"
    );
}

#[tokio::test]
async fn a_restart_is_marked_and_the_stream_resumes_without_reconnecting() {
    let run = TestRun::new().expect("docker");
    let (engine, _monitor) = engine().await;
    let hub = LogHub::new(engine.clone(), LogSettings::default());
    let id = start(&run, "restart", "echo started; exec sleep 86400").await;
    let mut sub = hub.subscribe(&id, 100);
    read_until(&mut sub, |i| text(i) == Some("started")).await;

    run.docker().stop_container(&id, None).await.expect("stop");
    read_until(&mut sub, |i| i.body == LogBody::Marker(Marker::Ended)).await;
    run.docker()
        .start_container(&id, None)
        .await
        .expect("start again");
    let after = read_until(&mut sub, |i| text(i) == Some("started")).await;
    assert!(
        after
            .iter()
            .any(|i| i.body == LogBody::Marker(Marker::Restarted)),
        "{after:?}"
    );
    // The first run's line is not repeated.
    assert_eq!(after.iter().filter_map(text).count(), 1, "{after:?}");
}

#[tokio::test]
async fn a_slow_viewer_is_told_what_it_missed_and_the_others_are_not_slowed() {
    let run = TestRun::new().expect("docker");
    let (engine, _monitor) = engine().await;
    let hub = LogHub::new(
        engine.clone(),
        LogSettings {
            queue: 64,
            ..LogSettings::default()
        },
    );
    let id = start(
        &run,
        "flood",
        "sleep 1; i=0; while [ $i -lt 5000 ]; do echo flood $i; i=$((i+1)); done; exec sleep 86400",
    )
    .await;
    let mut slow = hub.subscribe(&id, 0);
    let mut fast = hub.subscribe(&id, 0);
    // The fast viewer reads everything as it comes.
    let fast_lines = read_until(&mut fast, |i| text(i) == Some("flood 4999")).await;
    let fast_count = fast_lines.iter().filter_map(text).count();
    let fast_skipped: u64 = fast_lines
        .iter()
        .map(|i| match i.body {
            LogBody::Marker(Marker::Skipped { lines }) => lines,
            _ => 0,
        })
        .sum();
    assert_eq!(fast_count as u64 + fast_skipped, 5000);
    // The slow one read nothing meanwhile: it gets a skip marker, then the newest lines.
    let slow_items = read_until(&mut slow, |i| text(i) == Some("flood 4999")).await;
    let skipped: u64 = slow_items
        .iter()
        .map(|i| match i.body {
            LogBody::Marker(Marker::Skipped { lines }) => lines,
            _ => 0,
        })
        .sum();
    let got = slow_items.iter().filter_map(text).count() as u64;
    assert!(skipped > 0, "a skip marker");
    assert_eq!(
        got + skipped,
        5000,
        "every line is either received or counted as skipped"
    );
}

#[tokio::test]
async fn a_huge_line_is_cut_and_a_removed_container_ends_cleanly() {
    let run = TestRun::new().expect("docker");
    let (engine, _monitor) = engine().await;
    let hub = LogHub::new(engine.clone(), LogSettings::default());
    let id = start(
        &run,
        "huge",
        "head -c 1048576 /dev/zero | tr '\\0' x; echo; echo after; exec sleep 86400",
    )
    .await;
    let mut sub = hub.subscribe(&id, 0);
    let items = read_until(&mut sub, |i| text(i) == Some("after")).await;
    // The engine splits lines of over 16 KiB; none passed on exceeds the hub's limit.
    for item in &items {
        if let LogBody::Line { text, stream, .. } = &item.body {
            assert_eq!(*stream, Stream::Stdout);
            assert!(text.len() <= engine::docker::logs::MAX_LINE_BYTES);
        }
    }
    let total: usize = items.iter().filter_map(text).map(str::len).sum();
    assert!(
        total >= 1024 * 1024,
        "the whole line arrived in pieces: {total}"
    );

    run.docker()
        .remove_container(
            &id,
            Some(bollard::query_parameters::RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
        .expect("remove");
    let end = read_until(&mut sub, |i| i.body == LogBody::Marker(Marker::Removed)).await;
    assert!(!end.is_empty());
}

#[tokio::test]
async fn an_engine_cut_is_marked_and_the_stream_resumes_without_losing_lines() {
    let run = TestRun::new().expect("docker");
    let dir = tempfile::tempdir().expect("dir");
    let mut proxy = testkit::proxy::SocketProxy::new(dir.path().join("docker.sock"));
    proxy.start().expect("proxy");
    let engine = DockerEngine::new(Some(&proxy.docker_host()));
    let _monitor = engine.spawn_monitor();
    let mut syncs = engine.containers().subscribe_syncs();
    syncs.wait_for(|n| *n > 0).await.expect("first read");
    let hub = LogHub::new(engine.clone(), LogSettings::default());
    let id = start(&run, "cut", "echo before; exec sleep 86400").await;
    let mut sub = hub.subscribe(&id, 10);
    read_until(&mut sub, |i| text(i) == Some("before")).await;

    proxy.stop();
    let lost = read_until(&mut sub, |i| {
        matches!(i.body, LogBody::Marker(Marker::Lost { .. }))
    })
    .await;
    assert!(!lost.is_empty());
    // Written while Orbitr cannot reach the engine.
    testkit::docker::print_line(run.docker(), &id, "during", false)
        .await
        .expect("print");
    proxy.start().expect("proxy back");
    let after = read_until(&mut sub, |i| text(i) == Some("during")).await;
    assert!(
        !after.iter().any(|i| text(i) == Some("before")),
        "nothing is repeated: {after:?}"
    );
    testkit::docker::print_line(run.docker(), &id, "after", false)
        .await
        .expect("print");
    read_until(&mut sub, |i| text(i) == Some("after")).await;
}
