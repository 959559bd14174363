//! The time Orbitr stamps things with.

/// Milliseconds since the Unix epoch, the time unit of every stored timestamp.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}
