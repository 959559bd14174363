//! `bench/marketplace`: the catalog at 10,000 extensions.
//!
//! Generates a folder of 10,000 synthetic extensions (varied names, summaries, categories,
//! descriptions and inputs, each a valid `orbitr.yaml` + compose template + README), adds it as
//! a source of a release server and times the sync (every extension read and checked like
//! `orbitr ext validate`, then stored and indexed). Then 100 varied searches through
//! `GET /api/v1/extensions` (words, prefixes, two words, categories, sorts), one after the
//! other after a warm-up, and 100 loads of the marketplace page (server-rendered with its first
//! results) timed to the first byte. For reference, the same word searches as a linear
//! substring scan over the 10,000 manifests held in this process's memory (how a store shipping
//! one JSON catalog filters it in the browser), without any HTTP. Prints one JSON line last.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use bench::{Server, orbitr_binary, percentile, round};

const EXTENSIONS: usize = 10_000;
const QUERIES: usize = 100;

const WORDS: &[&str] = &[
    "cloud", "data", "stream", "vault", "photo", "media", "wiki", "chat", "mail", "note", "task",
    "book", "feed", "code", "build", "track", "sync", "backup", "proxy", "search", "metric",
    "alert", "queue", "cache", "graph", "print", "scan", "home", "budget", "recipe", "music",
    "video", "paste", "link", "form", "survey", "ticket", "invoice", "crm", "kanban", "calendar",
    "contact", "file", "share", "game", "map", "weather", "energy", "sensor", "camera",
];
const CATEGORIES: &[&str] = &[
    "databases",
    "media",
    "productivity",
    "development",
    "monitoring",
    "networking",
    "security",
    "storage",
    "communication",
    "finance",
    "automation",
    "home",
    "education",
    "gaming",
    "ai",
    "analytics",
    "cms",
    "utilities",
    "social",
    "backup",
];

/// A small deterministic generator (xorshift), so every run builds the same catalog.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

fn generate(root: &Path) -> anyhow::Result<()> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for n in 0..EXTENSIONS {
        let (a, b) = (rng.pick(WORDS), rng.pick(WORDS));
        let id = format!("{a}-{b}-{n}");
        let name = format!("{}{} {n}", &a[..1].to_uppercase(), &a[1..]) + &format!(" {b}");
        let (c1, c2) = (rng.pick(CATEGORIES), rng.pick(CATEGORIES));
        let description: Vec<&str> = (0..24).map(|_| rng.pick(WORDS)).collect();
        let dir = root.join(&id);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("orbitr.yaml"),
            format!(
                "id: {id}\nname: {name}\nversion: 1.{}.{}\nsummary: A self-hosted {a} and {b} service\n\
                 description: {}\ncategories: [{c1}, {c2}]\ninputs:\n  - key: PORT\n    label: Web port\n    type: port\n    default: 8080\n\
                 \x20 - key: ADMIN_PASSWORD\n    label: Admin password\n    type: secret\n    generate: 24\n\
                 exposes:\n  - service: app\n    port: 80\n",
                n % 7,
                n % 13,
                description.join(" ")
            ),
        )?;
        std::fs::write(
            dir.join("compose.yaml"),
            "services:\n  app:\n    image: nginx:1.27\n    environment:\n      PASSWORD: ${ADMIN_PASSWORD}\n    ports:\n      - \"${PORT}:80\"\n    volumes:\n      - data:/data\nvolumes:\n  data: {}\n",
        )?;
        std::fs::write(
            dir.join("README.md"),
            format!("# {name}\n\n{a} for your team, with {b}.\n"),
        )?;
    }
    Ok(())
}

/// 100 varied searches: the query string of each.
fn queries() -> Vec<String> {
    let mut rng = Rng(42);
    (0..QUERIES)
        .map(|i| match i % 5 {
            0 => format!("q={}", rng.pick(WORDS)),
            1 => format!("q={}", &rng.pick(WORDS)[..3]),
            2 => format!("q={}+{}", rng.pick(WORDS), rng.pick(WORDS)),
            3 => format!("q={}&category={}", rng.pick(WORDS), rng.pick(CATEGORIES)),
            _ => format!(
                "category={}&sort={}",
                rng.pick(CATEGORIES),
                ["name", "updated", "installs", "rating"][i % 4]
            ),
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let catalog = tempfile::tempdir()?;
    let started = Instant::now();
    generate(catalog.path())?;
    eprintln!(
        "marketplace: generated {EXTENSIONS} extensions in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let server = Server::start(&orbitr_binary()?, &[]).await?;
    let started = Instant::now();
    let response = server
        .client
        .post(format!("{}/api/v1/extension-sources", server.base))
        .header("origin", &server.base)
        .json(&serde_json::json!({
            "name": "Synthetic",
            "kind": "folder",
            "location": catalog.path().to_string_lossy(),
        }))
        .send()
        .await?;
    let sync_s = started.elapsed().as_secs_f64();
    let status = response.status();
    let report: serde_json::Value = response.json().await?;
    anyhow::ensure!(
        status.as_u16() == 201,
        "adding the source: {status} {report}"
    );
    anyhow::ensure!(
        report["extensions"] == EXTENSIONS && report["invalid"] == 0,
        "every synthetic extension is valid: {report}"
    );

    let search = |q: &str| {
        server
            .client
            .get(format!("{}/api/v1/extensions?{q}", server.base))
    };
    let queries = queries();
    let mut hits = 0_u64;
    for q in queries.iter().take(10) {
        search(q).send().await?.bytes().await?;
    }
    let mut times = Vec::with_capacity(QUERIES);
    for q in &queries {
        let t = Instant::now();
        let response = search(q).send().await?;
        anyhow::ensure!(response.status().is_success(), "{q}: {}", response.status());
        let page: serde_json::Value = response.json().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        hits += page["total"].as_u64().context("total")?;
    }
    // What any authenticated request costs on this path (HTTP, session, JSON), for comparison.
    let mut plain = Vec::with_capacity(QUERIES);
    for _ in 0..QUERIES {
        let t = Instant::now();
        server
            .client
            .get(format!("{}/api/v1/me", server.base))
            .send()
            .await?
            .bytes()
            .await?;
        plain.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let plain_p99 = percentile(&mut plain, 99.0);
    let plain_p50 = percentile(&mut plain, 50.0);
    let mut slowest: Vec<(f64, &String)> = times.iter().copied().zip(&queries).collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (ms, q) in slowest.iter().take(5) {
        eprintln!("marketplace: slow search {ms:.2} ms: {q}");
    }
    let search_p50 = percentile(&mut times, 50.0);
    let search_p99 = percentile(&mut times, 99.0);

    // The reference: every manifest's text in memory, each query word a substring test.
    let texts: Vec<String> = std::fs::read_dir(catalog.path())?
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("orbitr.yaml")).ok())
        .map(|t| t.to_lowercase())
        .collect();
    let mut scan = Vec::with_capacity(QUERIES);
    let mut scan_hits = 0_usize;
    for q in &queries {
        let words: Vec<String> = q
            .split('&')
            .filter_map(|p| p.strip_prefix("q="))
            .flat_map(|w| w.split('+'))
            .map(str::to_owned)
            .collect();
        let t = Instant::now();
        scan_hits += texts
            .iter()
            .filter(|text| words.iter().all(|w| text.contains(w.as_str())))
            .count();
        scan.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let scan_p99 = percentile(&mut scan, 99.0);
    eprintln!("marketplace: the linear scan matched {scan_hits} in all");

    let mut ttfb = Vec::with_capacity(QUERIES);
    for i in 0..(QUERIES + 10) {
        let t = Instant::now();
        let response = server
            .client
            .get(format!("{}/marketplace", server.base))
            .header("accept", "text/html")
            .send()
            .await?;
        let first = t.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(
            response.status().is_success(),
            "page: {}",
            response.status()
        );
        let body = response.text().await?;
        anyhow::ensure!(body.contains("market-card"), "the page lists apps");
        if i >= 10 {
            ttfb.push(first);
        }
    }
    let ttfb_p50 = percentile(&mut ttfb, 50.0);
    let ttfb_p99 = percentile(&mut ttfb, 99.0);
    let rss = server.rss_mb()?;

    println!(
        "{}",
        serde_json::json!({
            "bench": "marketplace",
            "extensions": EXTENSIONS,
            "sync_s": round(sync_s, 2),
            "sync_server_ms": report["millis"],
            "search_p50_ms": round(search_p50, 2),
            "search_p99_ms": round(search_p99, 2),
            "search_hits_avg": hits / QUERIES as u64,
            "page_ttfb_p50_ms": round(ttfb_p50, 2),
            "page_ttfb_p99_ms": round(ttfb_p99, 2),
            "server_rss_mb": round(rss, 1),
            "reference_linear_scan_p99_ms": round(scan_p99, 2),
            "reference_get_me_p50_ms": round(plain_p50, 2),
            "reference_get_me_p99_ms": round(plain_p99, 2),
            "goals": { "sync_s": 10, "search_p99_ms": 5 },
        })
    );
    Ok(())
}
