//! The generator: `spec/openapi.yaml` + `spec/generate.yaml` -> Rust.
//!
//! parse -> [`lower`](lower::lower) (checks everything, builds the [`ir`]) ->
//! render with `quote` -> `prettyplease`. The front end is `cargo xtask gen`.

pub mod config;
pub mod error;
pub mod ir;
mod lower;
pub mod names;
mod render;
mod render_cli;
mod render_lib;

use std::collections::BTreeMap;

use proc_macro2::TokenStream;

pub use error::{Error, Result};
pub use render::HEADER;

/// Where generated files go, relative to the repository root.
pub const LIBRARY_DIR: &str = "crates/openai-uploads/src/generated";
pub const CLI_DIR: &str = "crates/openai-cli/src/generated";

/// Generated files by name, per crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// `mod.rs`, `models.rs`, `resources.rs` of the library.
    pub library: BTreeMap<&'static str, String>,
    /// `mod.rs`, `commands.rs` of the CLI.
    pub cli: BTreeMap<&'static str, String>,
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
        library.chain(cli).collect()
    }
}

/// Reads the spec (YAML or JSON).
pub fn parse_spec(text: &str) -> Result<serde_yaml::Value> {
    serde_yaml::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
            .unwrap_or_default();
        Error::new("#", format!("cannot parse the spec{at}: {e}"))
    })
}

/// Checks the spec and config and lowers them to the IR.
pub fn lower(spec: &str, config: &str) -> Result<ir::Api> {
    let spec = parse_spec(spec)?;
    let config = config::Config::parse(config)?;
    lower::lower(&spec, &config)
}

/// Generates every file. `library` is the path the CLI uses to reach the
/// library crate (`openai_uploads` in this workspace).
pub fn generate(spec: &str, config: &str, library: &str) -> Result<Generated> {
    let api = lower(spec, config)?;
    let library: TokenStream = library
        .parse()
        .map_err(|_| Error::new("#", format!("`{library}` is not a Rust path")))?;
    let file =
        |tokens: TokenStream| render::file(tokens).map_err(|message| Error::new("#", message));
    let module = |names: &[&str]| {
        let mut text = format!("{HEADER}\n");
        for name in names {
            text.push_str(&format!("pub mod {name};\n"));
        }
        text
    };
    let library_files = BTreeMap::from([
        ("mod.rs", module(&["models", "resources"])),
        ("models.rs", file(render_lib::models(&api))?),
        ("resources.rs", file(render_lib::resources(&api))?),
    ]);
    let cli_files = BTreeMap::from([
        ("mod.rs", module(&["commands"])),
        ("commands.rs", file(render_cli::commands(&api, &library))?),
    ]);
    Ok(Generated {
        library: library_files,
        cli: cli_files,
    })
}
