//! Generator output for one small spec per construct, compared with the
//! files in `tests/snapshots/`. Those files are also compiled against the
//! real runtime by the `snapshot-check` crate.
//!
//! After an intended change: `UPDATE_SNAPSHOTS=1 cargo test -p codegen`.

use std::fs;
use std::path::{Path, PathBuf};

const FIXTURES: &[&str] = &[
    "arrays",
    "docs",
    "enums",
    "inline",
    "maps",
    "multipart",
    "nullables",
    "objects",
    "operations",
    "refs",
    "shared",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn check(name: &str) {
    let fixture = dir().join("fixtures").join(name);
    let spec = fs::read_to_string(fixture.join("openapi.yaml")).unwrap();
    let config = fs::read_to_string(fixture.join("generate.yaml")).unwrap();
    let library = format!("crate::{name}");
    let generated = codegen::generate(&spec, &config, &library)
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    let root = dir().join("snapshots").join(name);
    let mut files: Vec<(PathBuf, &String)> = Vec::new();
    files.extend(
        generated
            .library
            .iter()
            .map(|(p, t)| (root.join("library").join(p), t)),
    );
    files.extend(
        generated
            .cli
            .iter()
            .map(|(p, t)| (root.join("cli").join(p), t)),
    );
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for (path, text) in &files {
        let old = fs::read_to_string(path).unwrap_or_default();
        if old == **text {
            continue;
        }
        if update {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        } else {
            let diff = similar::TextDiff::from_lines(&old, text.as_str());
            stale.push(format!(
                "{}\n{}",
                path.display(),
                diff.unified_diff().context_radius(2)
            ));
        }
    }
    for extra in files_under(&root) {
        if files.iter().any(|(path, _)| *path == extra) {
            continue;
        }
        if update {
            fs::remove_file(&extra).unwrap();
        } else {
            stale.push(format!("{}: not generated any more", extra.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots differ (UPDATE_SNAPSHOTS=1 to accept):\n{}",
        stale.join("\n")
    );
}

/// Every file below `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

macro_rules! snapshot_tests {
    ($($name:ident),*) => {
        $(#[test] fn $name() { check(stringify!($name)); })*
    };
}

snapshot_tests!(
    arrays, docs, enums, inline, maps, multipart, nullables, objects, operations, refs, shared
);

#[test]
fn every_fixture_is_compiled() {
    let check_crate = dir().join("../snapshot-check/src/lib.rs");
    let text = fs::read_to_string(check_crate).unwrap();
    let on_disk: Vec<String> = fs::read_dir(dir().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in &on_disk {
        assert!(
            FIXTURES.contains(&name.as_str()),
            "fixture {name} has no snapshot test"
        );
        assert!(
            text.contains(&format!("\"../../tests/snapshots/{name}/library/mod.rs\""))
                && text.contains(&format!("\"../../tests/snapshots/{name}/cli/mod.rs\"")),
            "snapshot-check does not compile the {name} snapshots"
        );
    }
}

#[test]
fn output_is_deterministic() {
    let fixture = dir().join("fixtures/operations");
    let spec = fs::read_to_string(fixture.join("openapi.yaml")).unwrap();
    let config = fs::read_to_string(fixture.join("generate.yaml")).unwrap();
    let first = codegen::generate(&spec, &config, "x").unwrap();
    for _ in 0..5 {
        assert_eq!(codegen::generate(&spec, &config, "x").unwrap(), first);
    }
}
