//! Byte sizes on the command line: `64MiB`, `8MB`, `512K`, `1048576`.

/// Parses a whole number of bytes with an optional unit, case-insensitive, as GNU tools do:
/// `KiB`/`K` = 1024, `KB` = 1000, and so on up to `TiB`/`TB`; `B` or no unit is bytes.
pub fn parse(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let number = number.replace('_', "");
    if number.is_empty() {
        return Err(format!(
            "`{text}` is not a size: expected a whole number of bytes with an optional unit, e.g. 64MiB, 8MB, 512KiB or 1048576"
        ));
    }
    let multiplier = multiplier(unit.trim()).ok_or_else(|| {
        format!(
            "`{text}` has an unknown unit `{}`: use B, KB, MB, GB, TB (powers of 1000) or K, M, G, T, KiB, MiB, GiB, TiB (powers of 1024)",
            unit.trim()
        )
    })?;
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("`{text}` is too large"))
}

fn multiplier(unit: &str) -> Option<u64> {
    const KI: u64 = 1024;
    const K: u64 = 1000;
    let value = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => KI,
        "m" | "mib" => KI.pow(2),
        "g" | "gib" => KI.pow(3),
        "t" | "tib" => KI.pow(4),
        "kb" => K,
        "mb" => K.pow(2),
        "gb" => K.pow(3),
        "tb" => K.pow(4),
        _ => return None,
    };
    Some(value)
}

/// `67108864` as `64 MiB`, `1000` as `1000 B`: exact, for messages.
pub fn display(bytes: u64) -> String {
    for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        for (text, bytes) in [
            ("1048576", 1 << 20),
            ("0", 0),
            ("64MiB", 64 << 20),
            ("64 MiB", 64 << 20),
            ("64mib", 64 << 20),
            ("64M", 64 << 20),
            ("8MB", 8_000_000),
            ("512KiB", 512 << 10),
            ("512k", 512 << 10),
            ("1KB", 1000),
            ("2GiB", 2 << 30),
            ("8GB", 8_000_000_000),
            ("1TiB", 1 << 40),
            ("10B", 10),
            ("1_048_576", 1 << 20),
            (" 7 ", 7),
        ] {
            assert_eq!(parse(text), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn bad_sizes_say_why() {
        for (text, needle) in [
            ("", "is not a size"),
            ("MiB", "is not a size"),
            ("-1", "is not a size"),
            ("1.5MiB", "unknown unit `.5MiB`"),
            ("64 megs", "unknown unit `megs`"),
            ("64Mi", "unknown unit `Mi`"),
            ("99999999999999999999", "too large"),
            ("20000000TiB", "too large"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn display_is_exact() {
        assert_eq!(display(64 << 20), "64 MiB");
        assert_eq!(display(8 << 30), "8 GiB");
        assert_eq!(display(1536), "1536 B");
        assert_eq!(display(1024), "1 KiB");
        assert_eq!(display(0), "0 B");
    }
}
