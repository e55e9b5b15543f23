//! `cargo xtask census PATH [--compile]`: how much of an OpenAPI document the
//! generator takes, for maintainers.
//!
//! Every operation of the document is named as the official SDKs name it
//! (`x-oaiMeta` where present, otherwise the path), then generated alone,
//! then all those that generate alone are generated together and written as
//! a scratch crate under `target/census/`, which `--compile` checks with
//! `cargo clippy -D warnings`. The checked-in crates are never touched.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use codegen::error::Pointer;
use codegen::ir::HttpMethod;
use codegen::names::snake;
use codegen::{Config, FormatCache, Spec};
use serde_yaml::Value as Yaml;

use crate::util;

/// The library path the scratch crate's CLI code uses: the crate itself.
const LIBRARY: &str = "crate";

pub fn run(args: &[&str]) -> Result<(), String> {
    let (path, compile) = match args {
        [path] => (*path, false),
        [path, "--compile"] | ["--compile", path] => (*path, true),
        _ => return Err("usage: cargo xtask census PATH [--compile]".into()),
    };
    // `cargo xtask` runs in the workspace root; a relative PATH means the
    // caller's directory.
    let path = std::env::current_dir()
        .map(|dir| dir.join(path))
        .unwrap_or_else(|_| PathBuf::from(path));
    let report = census(&path, compile)?;
    print!("{}", report.text());
    match &report.compiled {
        Some(Err(_)) => Err("the generated crate does not pass clippy".into()),
        _ => Ok(()),
    }
}

/// One operation of the document, with its official name.
#[derive(Debug, Clone)]
struct Op {
    /// `uploads.parts.create`.
    key: String,
    method: HttpMethod,
    path: String,
    /// Whether the name came from `x-oaiMeta`.
    from_meta: bool,
}

impl Op {
    fn endpoint(&self) -> String {
        format!("{} {}", self.method.key(), self.path)
    }

    fn shown(&self) -> String {
        format!("{} ({} {})", self.key, self.method.constant(), self.path)
    }
}

/// What a census found.
#[derive(Debug)]
pub struct Report {
    document: PathBuf,
    parse_time: Duration,
    operations: usize,
    named_by_meta: usize,
    /// Operations that generate alone.
    alone: usize,
    /// Those that do not, with the generator's error.
    failed_alone: Vec<(String, codegen::Error)>,
    /// Operations generated together.
    together: usize,
    /// Those dropped from the joint run (they clash with another), and why.
    failed_together: Vec<(String, String)>,
    /// `gen` of everything that generates: the size of its spec, and the
    /// time to parse it, lower it and render (and format) every file.
    gen_spec_bytes: usize,
    gen_parse: Duration,
    gen_lower: Duration,
    gen_render: Duration,
    /// The CPU time of that `gen`, rustfmt included (Linux only).
    gen_cpu: Option<Duration>,
    /// The machine's load average then (Linux only): wall times on a busy
    /// machine are longer than the CPU time.
    load: Option<String>,
    /// Files written, with their line counts.
    files: Vec<(String, usize)>,
    scratch: PathBuf,
    /// `cargo clippy -D warnings` on the scratch crate, when asked for.
    compiled: Option<Result<(), String>>,
}

impl Report {
    fn text(&self) -> String {
        let mut out = String::new();
        let largest = self.files.iter().max_by_key(|(_, lines)| *lines);
        let _ = writeln!(out, "census of {}", self.document.display());
        let _ = writeln!(
            out,
            "  operations in the document    {:>4}  ({} named by x-oaiMeta, {} from the path; parsed in {:.2?})",
            self.operations,
            self.named_by_meta,
            self.operations - self.named_by_meta,
            self.parse_time
        );
        let _ = writeln!(
            out,
            "  generated alone               {:>4}  ({} failed)",
            self.alone,
            self.failed_alone.len()
        );
        let _ = writeln!(
            out,
            "  generated together            {:>4}  ({} dropped)",
            self.together,
            self.failed_together.len(),
        );
        let cpu = self
            .gen_cpu
            .map(|cpu| format!("; {cpu:.2?} CPU"))
            .unwrap_or_default();
        let load = self
            .load
            .as_ref()
            .map(|load| format!(" at load {load}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  gen of those                  {:.2?} wall{cpu}{load}  (spec/ of {} KB: parse {:.2?}, lower {:.2?}, render and format {:.2?})",
            self.gen_parse + self.gen_lower + self.gen_render,
            self.gen_spec_bytes / 1024,
            self.gen_parse,
            self.gen_lower,
            self.gen_render,
        );
        if let Some((file, lines)) = largest {
            let _ = writeln!(
                out,
                "  files written                 {:>4}  (largest {file}, {lines} lines) in {}",
                self.files.len(),
                self.scratch.display()
            );
        }
        match &self.compiled {
            None => {
                let _ = writeln!(
                    out,
                    "  compiled                         -  (add --compile to run clippy -D warnings)"
                );
            }
            Some(Ok(())) => {
                let _ = writeln!(
                    out,
                    "  compiled (clippy -D warnings) {:>4}  clean",
                    self.together
                );
            }
            Some(Err(message)) => {
                let _ = writeln!(
                    out,
                    "  compiled (clippy -D warnings)    0  FAILED:\n{message}"
                );
            }
        }
        if !self.failed_alone.is_empty() {
            let _ = writeln!(out, "\nreasons, most frequent first:");
            let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
            for (_, error) in &self.failed_alone {
                *reasons.entry(reason(&error.message)).or_default() += 1;
            }
            let mut reasons: Vec<(String, usize)> = reasons.into_iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            for (reason, count) in reasons {
                let _ = writeln!(out, "  {count:>4}  {reason}");
            }
            let _ = writeln!(out, "\nfailed alone:");
            for (op, error) in &self.failed_alone {
                let _ = writeln!(out, "  {op}: {error}");
            }
        }
        if !self.failed_together.is_empty() {
            let _ = writeln!(out, "\ndropped from the joint run:");
            for (op, message) in &self.failed_together {
                let _ = writeln!(out, "  {op}: {message}");
            }
        }
        out
    }
}

/// A message without its specifics, to group by: what is in backticks
/// goes, unless it is a single word (a keyword such as `oneOf`).
fn reason(message: &str) -> String {
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else if part.chars().all(|c| c.is_ascii_alphabetic()) {
            out.push_str(&format!("`{part}`"));
        } else {
            out.push_str("`…`");
        }
    }
    out
}

/// Runs the census of the document at `path`.
pub fn census(path: &Path, compile: bool) -> Result<Report, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let started = Instant::now();
    let spec = Spec::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let parse_time = started.elapsed();
    let ops = name_operations(spec.value())?;

    let mut failed_alone = Vec::new();
    let mut generated: Vec<&Op> = Vec::new();
    for op in &ops {
        let config = config_of(&[op]);
        match codegen::lower_spec(&spec, &config).and_then(|api| codegen::check(&api, LIBRARY)) {
            Ok(()) => generated.push(op),
            Err(e) => failed_alone.push((op.shown(), e)),
        }
    }
    let alone = generated.len();

    // Together: an operation that clashes with another (a Rust name taken
    // twice) is dropped, and the rest tried again.
    let mut failed_together = Vec::new();
    loop {
        match codegen::lower_spec(&spec, &config_of(&generated)) {
            Ok(_) => break,
            Err(e) => {
                let culprits: Vec<&Op> = generated
                    .iter()
                    .copied()
                    .filter(|op| concerns(&e.pointer, op))
                    .collect();
                if culprits.is_empty() || culprits.len() == generated.len() {
                    return Err(format!("generating everything together fails: {e}"));
                }
                for op in &culprits {
                    failed_together.push((op.shown(), e.to_string()));
                }
                generated.retain(|op| !culprits.iter().any(|c| c.key == op.key));
            }
        }
    }

    // What `cargo xtask gen` would do with a `spec/` of everything that
    // generates: the operations with their `$ref` closure, and their
    // `generate.yaml`; timed stage by stage.
    let spec_text = serde_yaml::to_string(&reduce(spec.value(), &generated))
        .map_err(|e| format!("cannot write the reduced spec: {e}"))?;
    let config_text = config_of(&generated).to_yaml();
    let stem = path
        .file_stem()
        .map_or("document".into(), |s| s.to_string_lossy().into_owned());
    let cpu = cpu_time();
    let load = load_average();
    let started = Instant::now();
    // A folder of formatted files per document: a run after the first
    // formats only what changed.
    let cache = FormatCache::open(&util::format_cache(&format!("census-{}", snake(&stem))));
    let reduced = Spec::parse(&spec_text).map_err(|e| format!("the reduced spec: {e}"))?;
    let config = Config::parse(&config_text).map_err(|e| format!("the config: {e}"))?;
    let gen_parse = started.elapsed();
    let started = Instant::now();
    let api = codegen::lower_spec(&reduced, &config).map_err(|e| format!("lowering: {e}"))?;
    let gen_lower = started.elapsed();
    let started = Instant::now();
    let files =
        codegen::render_cached(&api, LIBRARY, &cache).map_err(|e| format!("rendering: {e}"))?;
    let gen_render = started.elapsed();
    let gen_cpu = cpu
        .zip(cpu_time())
        .map(|(before, after)| after.saturating_sub(before));

    let scratch = util::target_dir().join("census").join(snake(&stem));
    let written = write_crate(&scratch, &files)?;
    for (name, text) in [
        ("openapi.yaml", &spec_text),
        ("generate.yaml", &config_text),
    ] {
        let path = scratch.join("spec").join(name);
        std::fs::create_dir_all(scratch.join("spec")).map_err(|e| format!("{e}"))?;
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let compiled = compile.then(|| clippy(&scratch));
    Ok(Report {
        document: path.to_path_buf(),
        parse_time,
        operations: ops.len(),
        named_by_meta: ops.iter().filter(|op| op.from_meta).count(),
        alone,
        failed_alone,
        together: generated.len(),
        failed_together,
        gen_spec_bytes: spec_text.len(),
        gen_parse,
        gen_lower,
        gen_render,
        gen_cpu,
        load,
        files: written,
        scratch,
        compiled,
    })
}

/// Every operation, named as the official SDKs name it.
///
/// The resources are the path's literal segments (`/uploads/{upload_id}/parts`
/// is `uploads.parts`). The method is the first word of `x-oaiMeta.name`
/// (`Add upload part` is `add`), and a last segment that is that word is an
/// action on its parent (`/uploads/{upload_id}/cancel` is `uploads.cancel`).
/// Without `x-oaiMeta`, REST conventions: `list`/`create` on a collection,
/// `retrieve`/`update`/`delete` on an item. A name taken twice gets the HTTP
/// method, then a number, appended.
fn name_operations(spec: &Yaml) -> Result<Vec<Op>, String> {
    let paths = spec
        .get("paths")
        .and_then(Yaml::as_mapping)
        .ok_or("the document has no `paths`")?;
    let mut ops = Vec::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for (path, item) in paths {
        let Some(path) = path.as_str() else {
            continue;
        };
        for method in HttpMethod::ALL {
            let Some(op) = item.get(method.key()) else {
                continue;
            };
            let (resources, verb, from_meta) = official_name(path, method, op);
            let mut key = format!("{}.{verb}", resources.join("."));
            if taken.contains(&key) {
                key = format!("{key}_{}", method.key());
            }
            let base = key.clone();
            let mut n = 2;
            while taken.contains(&key) {
                key = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(key.clone());
            ops.push(Op {
                key,
                method,
                path: path.to_owned(),
                from_meta,
            });
        }
    }
    // A method and a subresource of one resource may not share a name.
    let resources: BTreeSet<String> = ops
        .iter()
        .flat_map(|op| {
            let words: Vec<&str> = op.key.split('.').collect();
            (1..words.len()).map(move |n| words[..n].join("."))
        })
        .collect();
    for op in &mut ops {
        if resources.contains(&op.key) {
            op.key = format!("{}_{}", op.key, op.method.key());
        }
    }
    Ok(ops)
}

/// The resources and method of one operation, and whether `x-oaiMeta` named it.
fn official_name(path: &str, method: HttpMethod, op: &Yaml) -> (Vec<String>, String, bool) {
    let path = path.split('?').next().unwrap_or(path);
    let pieces: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut resources: Vec<String> = pieces
        .iter()
        .filter(|p| !p.starts_with('{'))
        .map(|p| snake(p))
        .collect();
    if resources.is_empty() {
        resources.push("root".into());
    }
    let on_item = pieces.last().is_some_and(|p| p.starts_with('{'));
    let meta_verb = op
        .get("x-oaiMeta")
        .and_then(|m| m.get("name"))
        .and_then(Yaml::as_str)
        .and_then(|name| name.split_whitespace().next())
        .map(snake)
        .filter(|verb| !verb.is_empty() && !verb.starts_with('_'));
    let (verb, from_meta) = match meta_verb {
        Some(verb) => (verb, true),
        None => {
            let verb = match (method, on_item) {
                (HttpMethod::Get, true) => "retrieve",
                (HttpMethod::Get, false) => "list",
                (HttpMethod::Post, false) => "create",
                (HttpMethod::Delete, _) => "delete",
                _ => "update",
            };
            (verb.to_owned(), false)
        }
    };
    if resources.len() > 1 && resources.last() == Some(&verb) {
        resources.pop();
    }
    (resources, verb, from_meta)
}

/// This process's CPU time so far, its waited-for children's included
/// (`/proc/self/stat`, in ticks of 10 ms).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime, stime, cutime, cstime are fields 14 to 17 of the whole line.
    let ticks: u64 = fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().ok())
        .sum::<Option<u64>>()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The one-minute load average (`/proc/loadavg`).
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_owned)
}

/// The document with only `ops` and what they refer to: their paths, the
/// components their `$ref`s reach, and the tags that document resources.
fn reduce(spec: &Yaml, ops: &[&Op]) -> Yaml {
    let mut out = serde_yaml::Mapping::new();
    for key in ["openapi", "info", "tags"] {
        if let Some(value) = spec.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    let mut paths = serde_yaml::Mapping::new();
    let mut pending: Vec<&Yaml> = Vec::new();
    for op in ops {
        let Some(item) = spec.get("paths").and_then(|p| p.get(op.path.as_str())) else {
            continue;
        };
        let kept = paths
            .entry(op.path.as_str().into())
            .or_insert_with(|| Yaml::Mapping(serde_yaml::Mapping::new()));
        if let (Yaml::Mapping(kept), Some(operation)) = (kept, item.get(op.method.key())) {
            kept.insert(op.method.key().into(), operation.clone());
            pending.push(operation);
        }
        if let Some(parameters) = item.get("parameters") {
            if let Some(Yaml::Mapping(kept)) = paths.get_mut(op.path.as_str()) {
                kept.insert("parameters".into(), parameters.clone());
            }
            pending.push(parameters);
        }
    }
    out.insert("paths".into(), Yaml::Mapping(paths));
    // The `$ref` closure, as (kind, name) under `#/components/`.
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    while let Some(node) = pending.pop() {
        match node {
            Yaml::Mapping(map) => {
                if let Some(reference) = map.get("$ref").and_then(Yaml::as_str)
                    && let Some(rest) = reference.strip_prefix("#/components/")
                    && let Some((kind, name)) = rest.split_once('/')
                {
                    let name = Pointer::unescape(name);
                    if seen.insert((kind.to_owned(), name.clone()))
                        && let Some(target) = spec
                            .get("components")
                            .and_then(|c| c.get(kind))
                            .and_then(|k| k.get(name.as_str()))
                    {
                        pending.push(target);
                    }
                }
                pending.extend(map.values());
            }
            Yaml::Sequence(items) => pending.extend(items),
            _ => {}
        }
    }
    let mut components = serde_yaml::Mapping::new();
    for (kind, name) in seen {
        let Some(target) = spec
            .get("components")
            .and_then(|c| c.get(kind.as_str()))
            .and_then(|k| k.get(name.as_str()))
        else {
            continue;
        };
        let entry = components
            .entry(kind.as_str().into())
            .or_insert_with(|| Yaml::Mapping(serde_yaml::Mapping::new()));
        if let Yaml::Mapping(entry) = entry {
            entry.insert(name.into(), target.clone());
        }
    }
    out.insert("components".into(), Yaml::Mapping(components));
    Yaml::Mapping(out)
}

/// A `generate.yaml` holding exactly `ops`.
fn config_of(ops: &[&Op]) -> Config {
    let mut config = Config::default();
    for op in ops {
        let words: Vec<&str> = op.key.split('.').collect();
        let (method, resources) = words.split_last().expect("a key has a method");
        let (first, rest) = resources.split_first().expect("a key has a resource");
        let mut node = config.resources.entry((*first).to_owned()).or_default();
        for name in rest {
            node = node.subresources.entry((*name).to_owned()).or_default();
        }
        node.methods.insert(
            (*method).to_owned(),
            codegen::config::MethodConfig::Endpoint(op.endpoint()),
        );
    }
    config
}

/// Whether an error at `pointer` concerns `op`: it points into the
/// operation in the spec, into its method in `generate.yaml`, or at a
/// resource that holds it.
fn concerns(pointer: &str, op: &Op) -> bool {
    let config = codegen::config::method_pointer(&op.key);
    let spec = Pointer::root("#")
        .join("paths")
        .join(&op.path)
        .join(op.method.key());
    let within = |inner: &str, outer: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    let (config, spec) = (config.as_str(), spec.as_str());
    within(pointer, spec) || within(pointer, config) || within(config, pointer)
}

/// Writes the scratch crate: the library's and the CLI's generated folders
/// in one crate, which stands for the library as the snapshot-check crate
/// does. Returns each generated file with its line count.
fn write_crate(dir: &Path, files: &codegen::Generated) -> Result<Vec<(String, usize)>, String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot empty {}: {e}", dir.display()))?;
    }
    let root = util::root();
    let manifest = format!(
        r#"# Written by `cargo xtask census`; not part of the workspace.
[package]
name = "census-scratch"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
openai-runtime = {{ path = "{runtime}", features = ["cli"] }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
clap = {{ version = "4", features = ["derive", "env", "wrap_help"] }}
"#,
        runtime = root.join("crates/openai-runtime").display()
    );
    let lib = "\
//! Everything `cargo xtask census` generated from one document, in one
//! crate: `library` as the library's generated folder, `cli` as the CLI's.

pub use openai_runtime::{ApiResponse, Error, FilePart, Result};

/// The library's client type, as a generated library's hand-written part
/// defines it.
#[derive(Clone, Debug)]
pub struct Client(openai_runtime::Client);

impl std::ops::Deref for Client {
    type Target = openai_runtime::Client;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

pub mod library;
pub use library::models::*;
pub use library::resources::*;

pub mod cli;
";
    let mut written = vec![
        ("Cargo.toml".to_owned(), manifest),
        ("src/lib.rs".to_owned(), lib.to_owned()),
    ];
    let mut counted = Vec::new();
    for (folder, generated) in [("library", &files.library), ("cli", &files.cli)] {
        for (path, text) in generated {
            let path = format!("src/{folder}/{path}");
            counted.push((path.clone(), text.lines().count()));
            written.push((path, text.clone()));
        }
    }
    for (path, text) in &written {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    // The workspace's lockfile, so that the crate builds with the same
    // dependency versions and reuses what the workspace built.
    let lock = root.join("Cargo.lock");
    std::fs::copy(&lock, dir.join("Cargo.lock"))
        .map_err(|e| format!("cannot copy {}: {e}", lock.display()))?;
    Ok(counted)
}

/// `cargo clippy --all-targets -- -D warnings` on the scratch crate, in the
/// workspace's target folder (so the dependencies are built once).
fn clippy(dir: &Path) -> Result<(), String> {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .args(["clippy", "--quiet", "--all-targets", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .args(["--", "-D", "warnings"])
        .env("CARGO_TARGET_DIR", util::target_dir())
        .current_dir(dir);
    println!("==> {}", util::show(&command));
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo clippy: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut shown: Vec<&str> = stderr.lines().take(200).collect();
    if stderr.lines().count() > shown.len() {
        shown.push("...");
    }
    Err(shown.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_names_come_from_x_oai_meta_or_the_path() {
        let meta = |name: &str| -> Yaml {
            serde_yaml::from_str(&format!("x-oaiMeta: {{name: {name}}}")).unwrap()
        };
        let none: Yaml = serde_yaml::from_str("{}").unwrap();
        let name = |path, method, op: &Yaml| {
            let (resources, verb, from_meta) = official_name(path, method, op);
            (format!("{}.{verb}", resources.join(".")), from_meta)
        };
        assert_eq!(
            name("/uploads", HttpMethod::Post, &meta("Create upload")),
            ("uploads.create".into(), true)
        );
        assert_eq!(
            name(
                "/uploads/{upload_id}/cancel",
                HttpMethod::Post,
                &meta("Cancel upload")
            ),
            ("uploads.cancel".into(), true)
        );
        assert_eq!(
            name(
                "/uploads/{upload_id}/parts",
                HttpMethod::Post,
                &meta("Add upload part")
            ),
            ("uploads.parts.add".into(), true)
        );
        assert_eq!(
            name(
                "/vector_stores/{vector_store_id}/file_batches",
                HttpMethod::Post,
                &meta("Create vector store file batch")
            ),
            ("vector_stores.file_batches.create".into(), true)
        );
        assert_eq!(
            name("/skills/{skill_id}", HttpMethod::Get, &none),
            ("skills.retrieve".into(), false)
        );
        assert_eq!(
            name("/skills", HttpMethod::Get, &none),
            ("skills.list".into(), false)
        );
        assert_eq!(
            name("/responses/input_tokens?beta=true", HttpMethod::Post, &none),
            ("responses.input_tokens.create".into(), false)
        );
    }

    #[test]
    fn a_fixture_with_one_unsupported_operation() {
        let fixture = util::root().join("xtask/fixtures/census.yaml");
        let report = census(&fixture, false).unwrap();
        assert_eq!(report.operations, 3);
        assert_eq!(report.named_by_meta, 2);
        assert_eq!(report.alone, 2, "{report:#?}");
        assert_eq!(report.together, 2, "{report:#?}");
        let [(op, error)] = &report.failed_alone[..] else {
            panic!("one failure expected: {report:#?}");
        };
        assert_eq!(op, "pets.feed (POST /pets/{pet_id}/feed)");
        assert!(
            error.message.contains("a request body must be an object"),
            "{error}"
        );
        let text = report.text();
        assert!(
            text.contains("generated alone                  2  (1 failed)"),
            "{text}"
        );
        assert!(
            text.contains("pets.feed (POST /pets/{pet_id}/feed): #/paths"),
            "{text}"
        );
        assert!(report.scratch.join("src/library/models/pets.rs").exists());
        assert!(report.scratch.join("src/cli/commands/pets.rs").exists());
    }
}
