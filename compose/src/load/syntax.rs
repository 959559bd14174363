//! The short syntaxes of ports and volumes, and environment from `.env` files.

use super::*;

/// Short port syntax: `[host_ip:][published:]target[/protocol]`, ranges on both sides.
pub fn parse_port(text: &str) -> Result<Vec<Port>, String> {
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((s, p)) => (s, p.to_owned()),
        None => (text, "tcp".to_owned()),
    };
    if !["tcp", "udp", "sctp"].contains(&protocol.as_str()) {
        return Err(format!("unknown protocol {protocol:?} (tcp, udp or sctp)"));
    }
    // An IPv6 host address is bracketed: `[::1]:8080:80`.
    let (host_ip, rest) = if let Some(r) = spec.strip_prefix('[') {
        let (ip, r) = r
            .split_once("]:")
            .ok_or("an IPv6 address needs a closing ']' followed by ':'")?;
        (Some(ip.to_owned()), r)
    } else {
        let parts: Vec<&str> = spec.split(':').collect();
        match parts.len() {
            1 | 2 => (None, spec),
            3 => (Some(parts[0].to_owned()), &spec[parts[0].len() + 1..]),
            _ => return Err("too many ':' (use [ip]:published:target)".into()),
        }
    };
    let (published, target) = match rest.split_once(':') {
        Some((p, t)) => (if p.is_empty() { None } else { Some(p) }, t),
        None => (None, rest),
    };
    let (t_low, t_high) =
        port_range(target).ok_or_else(|| format!("{target:?} is not a port or range"))?;
    let published_range = match published {
        Some(p) => Some(port_range(p).ok_or_else(|| format!("{p:?} is not a port or range"))?),
        None => None,
    };
    let count = t_high - t_low;
    let mut out = Vec::new();
    for offset in 0..=count {
        let target = u16::try_from(t_low + offset).map_err(|_| "port out of range")?;
        let published = match published_range {
            None => None,
            Some((lo, hi)) if hi - lo == count => Some((lo + offset).to_string()),
            Some((lo, hi)) if count == 0 => Some(if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }),
            Some(_) => return Err("the published and target ranges have different lengths".into()),
        };
        out.push(Port {
            target,
            published,
            host_ip: host_ip.clone().filter(|h| !h.is_empty()),
            protocol: protocol.clone(),
            item: 0,
        });
    }
    Ok(out)
}

/// Short volume syntax: `[source:]target[:mode]`; a source that looks like a path is a bind.
pub fn parse_volume(text: &str) -> Result<Mount, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [target] => (None, *target, ""),
        [source, target] => (Some(*source), *target, ""),
        [source, target, mode] => (Some(*source), *target, *mode),
        _ => return Err("too many ':' (use source:target[:ro])".into()),
    };
    if source == Some("") {
        // Usually `${VAR}:/path` with VAR unset; Compose refuses it as well.
        return Err("the host path or volume name before ':' is empty".into());
    }
    if !target.starts_with('/') {
        return Err(format!("the container path {target:?} must be absolute"));
    }
    let mut read_only = false;
    for flag in mode.split(',').filter(|f| !f.is_empty()) {
        match flag {
            "ro" => read_only = true,
            "rw" | "z" | "Z" | "cached" | "delegated" | "consistent" | "nocopy" | "shared"
            | "slave" | "private" | "rshared" | "rslave" | "rprivate" => {}
            other => return Err(format!("unknown mount option {other:?}")),
        }
    }
    let kind = match source {
        Some(s) if s.starts_with(['/', '.', '~']) => MountKind::Bind,
        _ => MountKind::Volume,
    };
    Ok(Mount {
        kind,
        source: source.map(str::to_owned),
        target: target.to_owned(),
        read_only,
    })
}

/// Interpolation variables for a stack: the `.env` file's values over the caller's extra ones.
pub fn environment_from_dotenv(
    text: &str,
    extra: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Diagnostic> {
    let lookup = |n: &str| extra.get(n).cloned();
    let pairs = dotenv::parse(text, &lookup).map_err(|e| {
        let line = u32::try_from(e.line).unwrap_or(u32::MAX);
        Diagnostic::error("", Pos::new(line, 1), e.message).in_file(".env")
    })?;
    let mut env = extra.clone();
    env.extend(pairs);
    Ok(env)
}
