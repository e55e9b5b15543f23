//! `cargo xtask gen [--check]`: regenerates the checked-in code from `spec/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use codegen::{FormatCache, Generated};

/// Generates every file; with `check`, writes nothing and fails listing every
/// stale, missing or extra file.
pub fn run(check: bool) -> Result<(), String> {
    let root = crate::util::root();
    let started = Instant::now();
    let generated = generate(&root)?;
    let elapsed = started.elapsed();
    for warning in &generated.warnings {
        eprintln!("warning: {warning}");
    }
    let problems = sync(&root, &generated, check)?;
    if !check {
        eprintln!(
            "generated {} files in {:.2?}",
            generated.library.len() + generated.cli.len(),
            elapsed
        );
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "generated code is out of date; run `cargo xtask gen`:\n  {}",
        problems.join("\n  ")
    ))
}

/// Generates the checked-in crates' files from `root`'s `spec/`.
fn generate(root: &Path) -> Result<Generated, String> {
    let cache = FormatCache::open(&crate::util::format_cache("gen"));
    let spec = read(&root.join("spec/openapi.yaml"))?;
    let config = read(&root.join("spec/generate.yaml"))?;
    codegen::Spec::parse(&spec)
        .and_then(|spec| Ok((spec, codegen::Config::parse(&config)?)))
        .and_then(|(spec, config)| codegen::render_product(&spec, &config, &cache))
        .map_err(|e| format!("spec/openapi.yaml or spec/generate.yaml: {e}"))
}
/// Makes the generated folders under `root` hold exactly `generated`: writes
/// what differs, removes what the generator no longer makes (a resource
/// dropped from `generate.yaml`, a file of an older layout) and the folders
/// that leaves empty. With `check`, changes nothing and returns each
/// difference instead.
pub fn sync(root: &Path, generated: &Generated, check: bool) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    let files = generated.files();
    for (path, text) in &files {
        let shown = path.as_str();
        let path = root.join(path);
        match fs::read_to_string(&path) {
            Ok(old) if old == *text => {}
            Ok(_) if check => problems.push(format!("{shown}: stale")),
            Err(_) if check => problems.push(format!("{shown}: missing")),
            _ => {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
                }
                fs::write(&path, text).map_err(|e| format!("{shown}: {e}"))?;
                eprintln!("updated {shown}");
            }
        }
    }
    for dir in [
        codegen::LIBRARY_DIR,
        codegen::CLI_DIR,
        codegen::render_crates::CRATES_DIR,
    ] {
        for extra in files_under(&root.join(dir))? {
            let shown = extra
                .strip_prefix(root)
                .unwrap_or(&extra)
                .display()
                .to_string();
            if files.iter().any(|(path, _)| *path == shown) {
                continue;
            }
            if check {
                problems.push(format!(
                    "{shown}: extra file in a generated folder (no longer generated)"
                ));
            } else {
                fs::remove_file(&extra).map_err(|e| format!("{shown}: {e}"))?;
                eprintln!("removed {shown}");
            }
        }
        if !check {
            remove_empty_dirs(&root.join(dir))?;
        }
    }
    problems.sort();
    Ok(problems)
}

/// Every file below `dir` (none if it does not exist), sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Removes the folders below `dir` that hold no file, deepest first.
fn remove_empty_dirs(dir: &Path) -> Result<(), String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_empty_dirs(&path)?;
            if fs::read_dir(&path).is_ok_and(|mut e| e.next().is_none()) {
                fs::remove_dir(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain `cargo test` catches generated code that drifted from the spec.
    #[test]
    fn generated_code_is_fresh() {
        if let Err(message) = super::run(true) {
            panic!("{message}");
        }
    }

    fn fixture(config: &str) -> Generated {
        let dir = crate::util::root().join("codegen/tests/fixtures/shared");
        let spec = read(&dir.join("openapi.yaml")).unwrap();
        codegen::generate(&spec, config, "openai_uploads").unwrap()
    }

    #[test]
    fn a_removed_resource_is_reported_then_removed() {
        let root = crate::util::target_dir().join(format!("gen-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let both = fixture(
            "resources:\n  batches:\n    methods:\n      create: post /batches\n  \
             files:\n    methods:\n      retrieve: get /files/{file_id}\n",
        );
        assert!(sync(&root, &both, false).unwrap().is_empty());
        // A file of an older layout is extra too.
        let old = root.join(codegen::LIBRARY_DIR).join("models.rs");
        fs::write(&old, "// old layout\n").unwrap();

        let batches =
            fixture("resources:\n  batches:\n    methods:\n      create: post /batches\n");
        let problems = sync(&root, &batches, true).unwrap();
        let extra = |path: &str| {
            problems
                .iter()
                .any(|p| p.starts_with(path) && p.contains("extra file in a generated folder"))
        };
        for path in [
            "crates/openai-uploads/src/generated/resources/files.rs",
            "crates/openai-cli/src/generated/commands/files.rs",
            "crates/openai-uploads/src/generated/models/shared.rs",
            "crates/openai-uploads/src/generated/models.rs",
        ] {
            assert!(extra(path), "{path} not reported in {problems:#?}");
        }
        assert!(
            problems
                .iter()
                .any(|p| p == "crates/openai-uploads/src/generated/models/batches.rs: stale"),
            "{problems:#?}"
        );
        assert!(
            root.join(codegen::CLI_DIR)
                .join("commands/files.rs")
                .exists()
        );

        assert!(sync(&root, &batches, false).unwrap().is_empty());
        assert!(sync(&root, &batches, true).unwrap().is_empty());
        assert!(
            !root
                .join(codegen::CLI_DIR)
                .join("commands/files.rs")
                .exists()
        );
        assert!(!old.exists());
        fs::remove_dir_all(&root).unwrap();
    }
}
