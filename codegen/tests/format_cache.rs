//! `render_cached`: a file formatted before comes from the cache, only when
//! what rustfmt would be given is the same, and the cache keeps one run's
//! files.

use std::path::{Path, PathBuf};

fn fixture(name: &str) -> (String, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    (read("openapi.yaml"), read("generate.yaml"))
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

#[test]
fn formatted_files_come_from_the_cache_only_for_the_same_input() {
    let scratch = tempfile::tempdir().unwrap();
    let cache = scratch.path().join("cache");
    let (spec, config) = fixture("operations");
    let api = codegen::lower(&spec, &config).unwrap();
    let fresh = codegen::render(&api, "openai_uploads").unwrap();

    // Filled by the first run, used by the second: the same files.
    assert_eq!(
        codegen::render_cached(&api, "openai_uploads", &codegen::FormatCache::open(&cache))
            .unwrap(),
        fresh
    );
    let stored = entries(&cache);
    assert!(!stored.is_empty());
    assert_eq!(
        codegen::render_cached(&api, "openai_uploads", &codegen::FormatCache::open(&cache))
            .unwrap(),
        fresh
    );
    assert_eq!(entries(&cache), stored);

    // An entry's output is what the next run uses...
    let entry = &stored[0];
    let text = std::fs::read_to_string(entry).unwrap();
    std::fs::write(entry, format!("{text}\n// from the cache")).unwrap();
    let cached =
        codegen::render_cached(&api, "openai_uploads", &codegen::FormatCache::open(&cache))
            .unwrap();
    assert!(
        cached
            .files()
            .iter()
            .any(|(_, t)| t.contains("// from the cache")),
        "the cache was not used"
    );
    // ...but only for the very input it holds.
    let (length, rest) = text.split_once('\n').unwrap();
    std::fs::write(
        entry,
        format!("{length}\n#{}\n// from the cache", &rest[1..]),
    )
    .unwrap();
    assert_eq!(
        codegen::render_cached(&api, "openai_uploads", &codegen::FormatCache::open(&cache))
            .unwrap(),
        fresh
    );
    std::fs::write(entry, "not an entry").unwrap();
    assert_eq!(
        codegen::render_cached(&api, "openai_uploads", &codegen::FormatCache::open(&cache))
            .unwrap(),
        fresh
    );

    // Another spec in the same folder: only its files stay.
    let (spec, config) = fixture("docs");
    let other = codegen::lower(&spec, &config).unwrap();
    codegen::render_cached(
        &other,
        "openai_uploads",
        &codegen::FormatCache::open(&cache),
    )
    .unwrap();
    let alone = scratch.path().join("alone");
    codegen::render_cached(
        &other,
        "openai_uploads",
        &codegen::FormatCache::open(&alone),
    )
    .unwrap();
    let names = |dir: &Path| -> Vec<_> {
        entries(dir)
            .into_iter()
            .map(|e| e.file_name().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&cache), names(&alone));
    assert!(entries(&cache).len() < stored.len() + entries(&alone).len());
}
