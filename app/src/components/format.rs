//! Formatting of figures for people.

/// Bytes as a short figure with a binary unit: `15.6 GiB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} B", n.max(0))
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A command's words as a shell would need them typed: words with spaces or shell characters in
/// single quotes (`sh -c 'while true; do date; done'`).
pub fn shell_words<'a>(words: impl IntoIterator<Item = &'a String>) -> String {
    words
        .into_iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1 container`, `3 containers`.
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_shown_as_it_would_be_typed() {
        let words: Vec<String> = ["sh", "-c", "while true; do date; done", "it's", ""]
            .iter()
            .map(|w| (*w).to_owned())
            .collect();
        assert_eq!(
            shell_words(&words),
            "sh -c 'while true; do date; done' 'it'\\''s' ''"
        );
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(16_767_184_896), "15.6 GiB");
        assert_eq!(bytes(-5), "0 B");
    }

    #[test]
    fn durations_read_in_the_largest_unit() {
        assert_eq!(duration(45_000), "45 seconds");
        assert_eq!(duration(60_000), "1 minute");
        assert_eq!(duration(7_300_000), "2 hours");
        assert_eq!(duration(3 * 86_400_000), "3 days");
        assert_eq!(duration(-1), "0 seconds");
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(count(1, "image", "images"), "1 image");
        assert_eq!(count(0, "image", "images"), "0 images");
    }
}

/// A timestamp in milliseconds as `2026-11-23 19:05 UTC`.
pub fn datetime(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod datetime_tests {
    use super::datetime;

    #[test]
    fn timestamps_read_as_utc_dates() {
        assert_eq!(datetime(0), "1970-01-01 00:00 UTC");
        assert_eq!(datetime(1_795_460_700_000), "2026-11-23 19:05 UTC");
        assert_eq!(datetime(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}

/// Milliseconds since the Unix epoch now (the browser's clock in the browser).
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        #[allow(clippy::cast_possible_truncation)]
        return js_sys::Date::now() as i64;
    }
    #[cfg(not(feature = "hydrate"))]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A duration in milliseconds as people say it: `45 seconds`, `3 minutes`, `2 hours`, `5 days`.
pub fn duration(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (n, one, many) = match secs {
        0..60 => (secs, "second", "seconds"),
        60..3600 => (secs / 60, "minute", "minutes"),
        3600..86_400 => (secs / 3600, "hour", "hours"),
        _ => (secs / 86_400, "day", "days"),
    };
    count(n, one, many)
}

/// The host name the browser reached Orbitr by (for links to published ports); on the server,
/// the request's `Host` without its port.
pub fn site_host() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(host) = web_sys::window().and_then(|w| w.location().hostname().ok()) {
        return host;
    }
    #[cfg(feature = "ssr")]
    if let Some(host) = leptos::prelude::use_context::<http::request::Parts>().and_then(|p| {
        p.headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
    }) {
        return match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_owned(),
            _ => host,
        };
    }
    "localhost".to_owned()
}

/// The absolute form of a site path, for links people copy (the path itself outside a browser).
pub fn absolute_url(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return format!("{origin}{path}");
    }
    path.to_owned()
}
