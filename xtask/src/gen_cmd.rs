//! `cargo xtask gen [--check]`: regenerates the checked-in code from `spec/`.

use std::fs;
use std::path::Path;

/// Generates every file; with `check`, writes nothing and fails listing every
/// stale, missing or extra file.
pub fn run(check: bool) -> Result<(), String> {
    let root = crate::util::root();
    let spec = read(&root.join("spec/openapi.yaml"))?;
    let config = read(&root.join("spec/generate.yaml"))?;
    let generated = codegen::generate(&spec, &config, "openai_uploads")
        .map_err(|e| format!("spec/openapi.yaml or spec/generate.yaml: {e}"))?;

    let mut problems = Vec::new();
    let files = generated.files();
    for (path, text) in &files {
        ensure_file_contents(&root.join(path), text, check, &mut problems)?;
    }
    for dir in [codegen::LIBRARY_DIR, codegen::CLI_DIR] {
        for extra in extra_files(&root.join(dir), &files, &root)? {
            if check {
                problems.push(format!("{extra}: extra file in a generated folder"));
            } else {
                fs::remove_file(root.join(&extra)).map_err(|e| format!("{extra}: {e}"))?;
                eprintln!("removed {extra}");
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "generated code is out of date; run `cargo xtask gen`:\n  {}",
        problems.join("\n  ")
    ))
}

/// Writes `text` to `path` if it differs; in check mode, records the
/// difference instead.
fn ensure_file_contents(
    path: &Path,
    text: &str,
    check: bool,
    problems: &mut Vec<String>,
) -> Result<(), String> {
    let shown = path
        .strip_prefix(crate::util::root())
        .unwrap_or(path)
        .display()
        .to_string();
    match fs::read_to_string(path) {
        Ok(old) if old == text => return Ok(()),
        Ok(_) if check => problems.push(format!("{shown}: stale")),
        Err(_) if check => problems.push(format!("{shown}: missing")),
        _ => {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            fs::write(path, text).map_err(|e| format!("{shown}: {e}"))?;
            eprintln!("updated {shown}");
        }
    }
    Ok(())
}

/// Files in a generated folder that the generator did not produce.
fn extra_files(dir: &Path, files: &[(String, &str)], root: &Path) -> Result<Vec<String>, String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut extra = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        if !files.iter().any(|(p, _)| *p == relative) {
            extra.push(relative);
        }
    }
    extra.sort();
    Ok(extra)
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    /// Plain `cargo test` catches generated code that drifted from the spec.
    #[test]
    fn generated_code_is_fresh() {
        if let Err(message) = super::run(true) {
            panic!("{message}");
        }
    }
}
