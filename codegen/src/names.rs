//! Turning wire names into Rust names.

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};

/// Rust's strict and reserved keywords, plus the ones that are keywords in
/// some edition. `self`, `Self`, `super` and `crate` cannot be raw
/// identifiers, so every keyword gets the same `_` suffix instead.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Makes `name` a valid Rust identifier: keywords get a `_` suffix and a
/// leading digit gets a `_` prefix (`type` -> `type_`, `3d` -> `_3d`).
pub fn sanitize(name: &str) -> String {
    let mut name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        name.push('_');
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// `snake_case` name for a field, parameter, method or module.
pub fn snake(name: &str) -> String {
    sanitize(&name.to_snake_case())
}

/// `UpperCamelCase` name for a type or variant. heck splits acronyms the way
/// clippy wants them (`OpenAIFile` -> `OpenAiFile`).
pub fn camel(name: &str) -> String {
    let camel = name.to_upper_camel_case();
    if camel.is_empty() {
        return "Empty".to_owned();
    }
    if camel.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("V{camel}");
    }
    sanitize(&camel)
}

/// `kebab-case` name for a CLI subcommand or flag.
pub fn kebab(name: &str) -> String {
    name.to_kebab_case()
}

/// The singular of a plural field name, for repeatable CLI flags
/// (`part_ids` -> `part_id`). Only the plain English `s` plural.
pub fn singular(name: &str) -> String {
    let name = name.strip_suffix("[]").unwrap_or(name);
    // `granularities` -> `granularity`, `modalities` -> `modality`.
    if let Some(stem) = name.strip_suffix("ies")
        && stem.len() > 1
    {
        return format!("{stem}y");
    }
    match name.strip_suffix('s') {
        Some(stem) if !stem.is_empty() && !stem.ends_with('s') => stem.to_owned(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_get_a_suffix() {
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("upload_id"), "upload_id");
        assert_eq!(camel("Self"), "Self_");
    }

    #[test]
    fn acronyms_follow_clippy() {
        assert_eq!(camel("OpenAIFile"), "OpenAiFile");
        assert_eq!(camel("fine-tune-results"), "FineTuneResults");
        assert_eq!(camel("upload.part"), "UploadPart");
        assert_eq!(camel("256x256"), "V256x256");
        assert_eq!(camel(""), "Empty");
    }

    #[test]
    fn cli_names_are_kebab() {
        assert_eq!(kebab("vector_stores"), "vector-stores");
        assert_eq!(kebab("file_batches"), "file-batches");
        assert_eq!(kebab("upload_id"), "upload-id");
    }

    #[test]
    fn odd_characters_become_underscores() {
        assert_eq!(sanitize("a.b"), "a_b");
        assert_eq!(snake("3d"), "_3d");
        assert_eq!(singular("part_ids"), "part_id");
        assert_eq!(singular("address"), "address");
    }
}
