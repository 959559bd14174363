//! Units and words in Compose values: command lines, byte sizes, durations.

/// Splits a command line like a shell: whitespace separates words, single or double quotes
/// group them, a backslash escapes the next character (outside single quotes).
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => word.push(c),
            (_, '\\') => {
                word.push(chars.next().ok_or("a backslash ends the command")?);
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("the quote {q} is never closed"));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// `512m`, `1g`, `1.5GiB`, `1048576` → bytes.
pub fn parse_bytes(raw: &str) -> Result<i64, String> {
    let text = raw.trim().to_ascii_lowercase();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a size like 512m or 1g"))?;
    let unit = unit.trim().trim_end_matches("ib").trim_end_matches('b');
    let factor: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0_f64.powi(4),
        _ => return Err(format!("{raw:?}: unknown unit (use k, m, g or t)")),
    };
    let bytes = value * factor;
    if !(bytes.is_finite() && (1.0..9.0e18).contains(&bytes)) {
        return Err(format!("{raw:?} is out of range"));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(bytes as i64)
}

/// `1m30s`, `10s`, `500ms`, `1h`, `2us`, `100ns` (Go duration syntax), or a bare number of
/// seconds → nanoseconds.
pub fn parse_duration(raw: &str) -> Result<i64, String> {
    let text = raw.trim();
    let bad = || format!("{raw:?} is not a duration like 30s, 1m30s or 500ms");
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return to_nanos(seconds * 1e9).ok_or_else(bad);
    }
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let mut total = 0.0_f64;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (number, tail) = rest.split_at(split);
        let value: f64 = number.parse().map_err(|_| bad())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let factor = match unit {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "d" => 86400e9,
            _ => return Err(bad()),
        };
        total += value * factor;
        rest = next;
    }
    to_nanos(if negative { -total } else { total }).ok_or_else(bad)
}

fn to_nanos(value: f64) -> Option<i64> {
    #[allow(clippy::cast_possible_truncation)]
    (value.is_finite() && value.abs() < 9.0e18).then(|| value.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_go() {
        assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("10"), Ok(10_000_000_000));
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn sizes_and_words() {
        assert_eq!(parse_bytes("512m"), Ok(512 * 1024 * 1024));
        assert_eq!(parse_bytes("1gb"), Ok(1024 * 1024 * 1024));
        assert!(parse_bytes("12 parsecs").is_err());
        assert_eq!(
            split_command("sh -c 'echo hi there'"),
            Ok(vec![
                "sh".to_owned(),
                "-c".to_owned(),
                "echo hi there".to_owned()
            ])
        );
    }
}
