//! `bench/footprint`: what Orbitr costs a small server and a browser.
//!
//! Starts the release `orbitr serve`, lets it idle (30 s, `BENCH_IDLE_SECS` to change), then
//! measures resident memory, binary and wasm sizes, the bytes a browser transfers for a first
//! load of each main page (compressed, headers included: the page and everything it references,
//! which includes the preloads of its page group's wasm modules) and the time to first byte of
//! `/` over 200 sequential requests.
//! Prints one JSON line last.

use std::time::{Duration, Instant};

use anyhow::Context;
use bench::{Server, orbitr_binary, percentile, round};
use reqwest::header::{ACCEPT_ENCODING, HeaderMap};

/// What a current browser advertises.
const BROWSER_ENCODINGS: &str = "gzip, deflate, br, zstd";

fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + 17
}

/// The main pages and the address a first load opens.
const PAGES: &[(&str, &str)] = &[
    ("dashboard", "/"),
    ("stacks", "/stacks"),
    ("stack_editor", "/stacks/new"),
    ("containers", "/containers"),
    ("marketplace", "/marketplace"),
];

/// Every `href`/`src` on the page that points at this server's assets.
fn asset_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in ["href=\"", "src=\"", "module_or_path: '", "from '"] {
        let mut rest = html;
        while let Some(start) = rest.find(attr) {
            rest = &rest[start + attr.len()..];
            let end = rest.find(['"', '\'']).unwrap_or(rest.len());
            let url = &rest[..end];
            if (url.starts_with("/pkg/") || url.starts_with("/favicon"))
                && !urls.iter().any(|u| u == url)
            {
                urls.push(url.to_owned());
            }
        }
    }
    urls
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let binary = orbitr_binary()?;
    let site = bench::workspace_root().join("target/site/pkg");
    let manifest = std::fs::read_to_string(site.join("manifest.txt"))
        .context("target/site: run `make build`")?;
    let wasm_name = manifest
        .lines()
        .find_map(|l| l.strip_prefix("wasm:"))
        .map(str::trim)
        .context("manifest has no wasm line")?;
    let wasm_raw = std::fs::metadata(site.join(wasm_name))?.len();
    let wasm_br = std::fs::metadata(site.join(format!("{wasm_name}.br")))?.len();
    let binary_size = std::fs::metadata(&binary)?.len();

    let server = Server::start(&binary, &[]).await?;
    let idle: u64 = std::env::var("BENCH_IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    eprintln!("footprint: idling {idle} s");
    tokio::time::sleep(Duration::from_secs(idle)).await;
    let idle_rss = server.rss_mb()?;

    // A first load of each page as a browser makes it, signed in: the page, then everything it
    // references (styles, script, the main module, the split loader and the preloaded modules
    // of the page's group).
    let mut first_load = serde_json::Map::new();
    let mut dashboard_bytes = 0;
    for (name, path) in PAGES {
        let html = server
            .client
            .get(format!("{}{path}", server.base))
            .send()
            .await?;
        anyhow::ensure!(html.status().is_success(), "{path}: {}", html.status());
        let urls = asset_urls(&html.text().await?);
        anyhow::ensure!(
            urls.iter().any(|u| u.contains("/split_")),
            "{path} preloads no page group module: {urls:?}"
        );
        let mut transferred = 0;
        for url in std::iter::once(path.to_string()).chain(urls) {
            let response = server
                .client
                .get(format!("{}{url}", server.base))
                .header(ACCEPT_ENCODING, BROWSER_ENCODINGS)
                .send()
                .await?;
            anyhow::ensure!(
                response.status().is_success(),
                "{url}: {}",
                response.status()
            );
            transferred += header_bytes(response.headers());
            transferred += response.bytes().await?.len();
        }
        if *name == "dashboard" {
            dashboard_bytes = transferred;
        }
        first_load.insert(
            (*name).to_owned(),
            serde_json::json!(round(transferred as f64 / 1024.0, 1)),
        );
    }
    let split_dir = wasm_name.rsplit_once('/').map_or("", |(dir, _)| dir);
    // The largest module a page adds to the main one, and all modules together.
    let main_module = format!("{}.br", wasm_name.rsplit('/').next().unwrap_or(wasm_name));
    let (mut largest_chunk, mut all_modules) = (0u64, 0u64);
    for entry in std::fs::read_dir(site.join(split_dir))? {
        let entry = entry?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.ends_with(".wasm.br") {
            let size = entry.metadata()?.len();
            all_modules += size;
            if file != main_module {
                largest_chunk = largest_chunk.max(size);
            }
        }
    }
    eprintln!("footprint: first loads {first_load:?}");

    let mut ttfb = Vec::with_capacity(200);
    for _ in 0..200 {
        let started = Instant::now();
        let response = server
            .client
            .get(format!("{}/", server.base))
            .header(ACCEPT_ENCODING, BROWSER_ENCODINGS)
            .send()
            .await?;
        ttfb.push(started.elapsed().as_secs_f64() * 1000.0);
        response.bytes().await?;
    }

    let line = serde_json::json!({
        "bench": "footprint",
        "idle_rss_mb": round(idle_rss, 1),
        "binary_mb": round(binary_size as f64 / 1_048_576.0, 1),
        "wasm_raw_kb": round(wasm_raw as f64 / 1024.0, 1),
        "wasm_br_kb": round(wasm_br as f64 / 1024.0, 1),
        "page_weight_kb": round(dashboard_bytes as f64 / 1024.0, 1),
        "first_load_kb": first_load,
        "largest_chunk_kb": round(largest_chunk as f64 / 1024.0, 1),
        "wasm_all_modules_br_kb": round(all_modules as f64 / 1024.0, 1),
        "ttfb_p50_ms": round(percentile(&mut ttfb, 50.0), 2),
        "ttfb_p99_ms": round(percentile(&mut ttfb, 99.0), 2),
    });
    println!("{line}");
    Ok(())
}
