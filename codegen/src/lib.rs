//! The generator: `spec/openapi.yaml` + `spec/generate.yaml` -> Rust.
//!
//! parse -> [`lower`] (checks everything and builds the [`ir`], which holds
//! every decision: names, the module of each model, the CLI's flags) ->
//! [`tokens`] (one token stream per file; renderers only print the IR) ->
//! [`render`] (`prettyplease`, then `rustfmt`). The front end is
//! `cargo xtask gen`; `cargo xtask census` drives it over a whole document.

pub mod config;
pub mod error;
mod format_cache;
pub mod ir;
mod lower;
pub mod names;
mod plan_cli;
mod plan_fields;
mod plan_modules;
mod plan_paging;
mod plan_parts;
mod render;
mod render_cli;
pub mod render_crates;
mod render_lib;
mod yaml;

use std::collections::BTreeMap;

use proc_macro2::TokenStream;

pub use config::Config;
pub use error::{Error, Result};
pub use format_cache::FormatCache;
pub use plan_cli::{RESERVED_FLAGS, ROOT_COMMANDS};
pub use render::{HEADER, Unit};

/// Where generated files go, relative to the repository root.
pub const LIBRARY_DIR: &str = "crates/openai-uploads/src/generated";
pub const CLI_DIR: &str = "crates/openai-cli/src/generated";

/// Generated files by path relative to their crate's generated folder
/// (`mod.rs`, `models/uploads.rs`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The library's files (under [`LIBRARY_DIR`]).
    pub library: BTreeMap<String, String>,
    /// The CLI's files (under [`CLI_DIR`]).
    pub cli: BTreeMap<String, String>,
    /// The generated crates' files, manifests included, by path from the
    /// repository root (under [`render_crates::CRATES_DIR`]).
    pub crates: BTreeMap<String, String>,
    /// The spec's bugs the generator worked around (see [`ir::Warning`]).
    pub warnings: Vec<ir::Warning>,
}

impl Generated {
    /// Every file with its path relative to the repository root.
    pub fn files(&self) -> Vec<(String, &str)> {
        let library = self
            .library
            .iter()
            .map(|(n, t)| (format!("{LIBRARY_DIR}/{n}"), t.as_str()));
        let cli = self
            .cli
            .iter()
            .map(|(n, t)| (format!("{CLI_DIR}/{n}"), t.as_str()));
        let crates = self.crates.iter().map(|(n, t)| (n.clone(), t.as_str()));
        library.chain(cli).chain(crates).collect()
    }
}

/// A parsed OpenAPI document, read once and lowered as often as needed.
#[derive(Debug, Clone)]
pub struct Spec(serde_yaml::Value);

impl Spec {
    /// Reads the spec (YAML or JSON). Integers beyond 64 bits, which some
    /// documents have as bounds, are read as floats rather than refused.
    pub fn parse(text: &str) -> Result<Self> {
        serde_yaml::from_str(text)
            .map(|yaml::Lenient(value)| Spec(value))
            .map_err(|e| {
                let at = e
                    .location()
                    .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
                    .unwrap_or_default();
                Error::new("#", format!("cannot parse the spec{at}: {e}"))
            })
    }

    /// The document.
    pub fn value(&self) -> &serde_yaml::Value {
        &self.0
    }
}

/// Checks the spec and config text and lowers them to the IR.
pub fn lower(spec: &str, config: &str) -> Result<ir::Api> {
    lower_spec(&Spec::parse(spec)?, &Config::parse(config)?)
}

/// [`lower`] for a spec and config already parsed.
pub fn lower_spec(spec: &Spec, config: &Config) -> Result<ir::Api> {
    lower::lower(spec.value(), config)
}

/// Every file, library files first, then the CLI's; each prints its token
/// stream on demand ([`Unit::tokens`]). `library` is the path the CLI uses
/// to reach the library crate (`openai_uploads` in this workspace).
pub fn tokens<'a>(api: &'a ir::Api, library: &'a str) -> Result<(Vec<Unit<'a>>, Vec<Unit<'a>>)> {
    if library.parse::<TokenStream>().is_err() {
        return Err(Error::new("#", format!("`{library}` is not a Rust path")));
    }
    Ok((render_lib::files(api), render_cli::files(api)))
}

/// Renders every file of [`tokens`] and checks that each parses as Rust,
/// without formatting: the quick check of `cargo xtask census`.
pub fn check(api: &ir::Api, library: &str) -> Result<()> {
    let (library, cli) = tokens(api, library)?;
    for unit in library.into_iter().chain(cli) {
        syn::parse2::<syn::File>(unit.tokens()).map_err(|e| {
            Error::new(
                "#",
                format!("{}: generated code does not parse: {e}", unit.path),
            )
        })?;
    }
    Ok(())
}

/// Formats the files of [`tokens`].
pub fn render<'a>(api: &'a ir::Api, library: &'a str) -> Result<Generated> {
    render_with(api, library, None)
}

/// [`render`], formatting only files whose formatter input is not in
/// `cache` (see [`FormatCache`]), which afterwards holds this run's files
/// only. Give each spec a cache folder of its own; `cargo xtask gen` keeps
/// its under `target/`. Open the cache before reading the spec: it asks
/// rustfmt for its version meanwhile.
pub fn render_cached<'a>(
    api: &'a ir::Api,
    library: &'a str,
    cache: &FormatCache,
) -> Result<Generated> {
    let generated = render_with(api, library, Some(cache))?;
    cache.forget_unused();
    Ok(generated)
}

/// The product's files: the library of the resources that have a library
/// crate ([`LIBRARY_RESOURCES`]), the CLI of every resource in `config`.
/// Lowers the spec twice (the library's models are only its resources').
pub fn render_product(spec: &Spec, config: &Config, cache: &FormatCache) -> Result<Generated> {
    let api = lower_spec(spec, config)?;
    let crates = render_crates::split(&api);
    let shared = crates.iter().any(|c| c.resource.is_none());
    let mut units: Vec<Unit<'_>> = Vec::new();
    let mut manifests = BTreeMap::new();
    for krate in &crates {
        units.extend(render_lib::files(&krate.api).into_iter().map(|mut unit| {
            unit.path = format!("root/{}/{}", krate.generated_dir, unit.path);
            unit
        }));
        if let Some(dir) = &krate.crate_dir {
            units.push(Unit::new(
                format!("root/{dir}/src/lib.rs"),
                Some(&krate.doc),
                move || render_crates::lib_rs(krate),
            ));
            let uses_types = shared && krate.resource.is_some();
            manifests.insert(
                format!("{dir}/Cargo.toml"),
                render_crates::manifest(krate, uses_types),
            );
        }
    }
    let facade = format!(
        "{}/{}",
        render_crates::CRATES_DIR,
        render_crates::FACADE_CRATE
    );
    units.push(Unit::new(
        format!("root/{facade}/src/lib.rs"),
        Some(render_crates::FACADE_DOC),
        || render_crates::facade_rs(&crates),
    ));
    manifests.insert(
        format!("{facade}/Cargo.toml"),
        render_crates::facade_manifest(&crates),
    );
    units.extend(render_cli::files(&api).into_iter().map(|mut unit| {
        unit.path = format!("cli/{}", unit.path);
        unit
    }));
    let formatted =
        render::files(units, Some(cache)).map_err(|message| Error::new("#", message))?;
    cache.forget_unused();
    let mut generated = Generated {
        library: BTreeMap::new(),
        cli: BTreeMap::new(),
        crates: manifests,
        warnings: api.warnings.clone(),
    };
    let library_prefix = format!("root/{LIBRARY_DIR}/");
    for (path, text) in formatted {
        if let Some(path) = path.strip_prefix(&library_prefix) {
            generated.library.insert(path.to_owned(), text);
        } else if let Some(path) = path.strip_prefix("root/") {
            generated.crates.insert(path.to_owned(), text);
        } else if let Some(path) = path.strip_prefix("cli/") {
            generated.cli.insert(path.to_owned(), text);
        }
    }
    Ok(generated)
}

/// One crate's library files and the CLI's, from one API: the snapshot
/// fixtures and the census. The product's layout is [`render_product`].
fn render_with<'a>(
    api: &'a ir::Api,
    library: &'a str,
    cache: Option<&FormatCache>,
) -> Result<Generated> {
    let (library, cli) = tokens(api, library)?;
    // One batch, so the formatting spreads over the cores once.
    let tag = |prefix: &'static str, units: Vec<Unit<'a>>| {
        units.into_iter().map(move |mut unit| {
            unit.path = format!("{prefix}/{}", unit.path);
            unit
        })
    };
    let units = tag("library", library).chain(tag("cli", cli)).collect();
    let formatted = render::files(units, cache).map_err(|message| Error::new("#", message))?;
    let mut generated = Generated {
        library: BTreeMap::new(),
        cli: BTreeMap::new(),
        crates: BTreeMap::new(),
        warnings: api.warnings.clone(),
    };
    for (path, text) in formatted {
        match path.split_once('/') {
            Some(("library", path)) => generated.library.insert(path.to_owned(), text),
            Some((_, path)) => generated.cli.insert(path.to_owned(), text),
            None => unreachable!("every path was tagged"),
        };
    }
    Ok(generated)
}

/// Generates every file from the spec and config text.
pub fn generate(spec: &str, config: &str, library: &str) -> Result<Generated> {
    render(&lower(spec, config)?, library)
}
