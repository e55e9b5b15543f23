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
use std::sync::Mutex;

pub struct FormatCache {
    dir: PathBuf,
    /// What else rustfmt's output depends on.
    salt: String,
    /// The entries this run found or stored.
    used: Mutex<BTreeSet<PathBuf>>,
}

impl FormatCache {
    /// A cache in `dir`, or `None` when rustfmt cannot say its version (then
    /// everything is formatted, as without a cache).
    pub fn open(dir: &Path) -> Option<Self> {
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
        std::fs::create_dir_all(dir).ok()?;
        Some(Self {
            dir: dir.to_owned(),
            salt,
            used: Mutex::new(BTreeSet::new()),
        })
    }

    /// The formatted text of `input`, if an earlier run stored it.
    pub fn get(&self, input: &str) -> Option<String> {
        let path = self.path(input);
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
        let path = self.path(input);
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

    fn path(&self, input: &str) -> PathBuf {
        // Two 64-bit hashes with different keys: a name collision only costs
        // a miss (the entry holds its input), but should be rare.
        let hash = |seed: u8| {
            let mut hasher =
                std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().build_hasher();
            hasher.write_u8(seed);
            hasher.write(self.salt.as_bytes());
            hasher.write(input.as_bytes());
            hasher.finish()
        };
        self.dir.join(format!("{:016x}{:016x}", hash(1), hash(2)))
    }
}
