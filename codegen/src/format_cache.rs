//! Formatted files from earlier runs, so that `gen` formats only what
//! changed. An entry is found by a hash of exactly what rustfmt would be
//! given, and holds that input too: it is used only when the input is the
//! same, byte for byte, for the same rustfmt (its version, `RUSTFMT`, its
//! arguments, and any `rustfmt.toml` it would read). A missing, unreadable
//! or foreign entry is a miss, never an error. What a run does not use is
//! removed after it, so the folder holds one generation's files.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

/// A folder of formatted files from earlier runs (see the module docs).
pub struct FormatCache {
    dir: PathBuf,
    /// What else rustfmt's output depends on; `None` when rustfmt cannot
    /// say its version (then everything is formatted, as without a cache).
    /// Worked out on a thread of its own, while the spec is read.
    salt: OnceLock<Option<String>>,
    probe: Mutex<Option<JoinHandle<Option<String>>>>,
    /// The entries this run found or stored.
    used: Mutex<BTreeSet<PathBuf>>,
}

impl FormatCache {
    /// The cache in `dir`. Returns at once: asking rustfmt for its version
    /// takes a process, which runs while the caller reads and lowers the
    /// spec.
    pub fn open(dir: &Path) -> Self {
        let folder = dir.to_owned();
        let probe = std::thread::spawn(move || {
            let salt = salt();
            std::fs::create_dir_all(&folder).ok()?;
            salt
        });
        Self {
            dir: dir.to_owned(),
            salt: OnceLock::new(),
            probe: Mutex::new(Some(probe)),
            used: Mutex::new(BTreeSet::new()),
        }
    }

    fn salt(&self) -> Option<&str> {
        self.salt
            .get_or_init(|| {
                let probe = self.probe.lock().ok()?.take()?;
                probe.join().ok().flatten()
            })
            .as_deref()
    }

    /// The formatted text of `input`, if an earlier run stored it.
    pub fn get(&self, input: &str) -> Option<String> {
        let path = self.path(input)?;
        let entry = std::fs::read_to_string(&path).ok()?;
        let (length, rest) = entry.split_once('\n')?;
        let length: usize = length.parse().ok()?;
        let (stored, output) = (rest.get(..length)?, rest.get(length..)?);
        if stored != input {
            return None;
        }
        self.used(path);
        Some(output.to_owned())
    }

    /// Stores `output` as the formatted text of `input`. Best effort: a
    /// cache that cannot be written only costs time.
    pub fn put(&self, input: &str, output: &str) {
        let Some(path) = self.path(input) else {
            return;
        };
        // Written aside and renamed, so a concurrent `gen` never reads half
        // an entry.
        let partial = path.with_extension(format!("{}.part", std::process::id()));
        let entry = format!("{}\n{input}{output}", input.len());
        if std::fs::write(&partial, entry).is_err() || std::fs::rename(&partial, &path).is_err() {
            let _ = std::fs::remove_file(&partial);
            return;
        }
        self.used(path);
    }

    /// Removes the entries this run did not use: those of files that
    /// changed or went away.
    pub fn forget_unused(&self) {
        if self.salt().is_none() {
            return;
        }
        let Ok(used) = self.used.lock() else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            if !used.contains(&entry.path()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn used(&self, path: PathBuf) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(path);
        }
    }

    fn path(&self, input: &str) -> Option<PathBuf> {
        let salt = self.salt()?;
        // Two 64-bit hashes with different keys: a name collision only costs
        // a miss (the entry holds its input), but should be rare.
        let hash = |seed: u8| {
            let mut hasher =
                std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().build_hasher();
            hasher.write_u8(seed);
            hasher.write(salt.as_bytes());
            hasher.write(input.as_bytes());
            hasher.finish()
        };
        Some(self.dir.join(format!("{:016x}{:016x}", hash(1), hash(2))))
    }
}

/// rustfmt's version, arguments and configuration, or `None` if it cannot
/// say its version.
fn salt() -> Option<String> {
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let version = Command::new(&rustfmt).arg("--version").output().ok()?;
    if !version.status.success() {
        return None;
    }
    let mut salt = format!(
        "{} {}\n{}\n",
        rustfmt.to_string_lossy(),
        crate::render::RUSTFMT_ARGS.join(" "),
        String::from_utf8_lossy(&version.stdout).trim()
    );
    // rustfmt reads the first config file above the working directory.
    let cwd = std::env::current_dir().ok()?;
    for folder in cwd.ancestors() {
        for name in ["rustfmt.toml", ".rustfmt.toml"] {
            if let Ok(config) = std::fs::read_to_string(folder.join(name)) {
                salt.push_str(&config);
            }
        }
    }
    Some(salt)
}
