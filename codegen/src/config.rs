//! `spec/generate.yaml`: which operations become which methods.
//!
//! ```yaml
//! resources:
//!   uploads:
//!     doc: Upload a large file in parts.
//!     commands:
//!       upload: Upload a whole file, resumably.
//!     methods:
//!       cancel:
//!         op: post /uploads/{upload_id}/cancel
//!         doc: Cancels a pending Upload.
//!     subresources:
//!       parts:
//!         methods:
//!           create: post /uploads/{upload_id}/parts
//! ```
//!
//! A method is its endpoint, or an object with the endpoint (`op`) and our
//! own one-line `doc`. `commands` names the CLI's hand-written commands in
//! a group (extension points): the generator leaves their names free.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Pointer, Result};
use crate::ir::HttpMethod;

pub const FILE: &str = "generate.yaml";

/// The whole generation config.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub resources: BTreeMap<String, ResourceConfig>,
}

/// One resource: its methods and nested resources.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceConfig {
    /// Our one-line description of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Hand-written CLI commands of this group, by name, with their help line.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commands: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub methods: BTreeMap<String, MethodConfig>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subresources: BTreeMap<String, ResourceConfig>,
}

/// One method: its endpoint, with or without our doc line.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum MethodConfig {
    Endpoint(String),
    Full {
        op: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        doc: Option<String>,
        /// Other names the CLI takes for it (the official CLI gives some
        /// operations two commands).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        aliases: Vec<String>,
    },
}

impl MethodConfig {
    /// `post /uploads/{upload_id}/cancel`.
    pub fn endpoint(&self) -> &str {
        match self {
            MethodConfig::Endpoint(op) | MethodConfig::Full { op, .. } => op,
        }
    }

    /// The CLI's other names for it.
    pub fn aliases(&self) -> &[String] {
        match self {
            MethodConfig::Endpoint(_) => &[],
            MethodConfig::Full { aliases, .. } => aliases,
        }
    }

    /// Our doc line, when the config gives one.
    pub fn doc(&self) -> Option<&str> {
        match self {
            MethodConfig::Endpoint(_) => None,
            MethodConfig::Full { doc, .. } => doc.as_deref(),
        }
    }
}

impl Config {
    pub fn parse(text: &str) -> Result<Self> {
        serde_yaml::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
                .unwrap_or_default();
            Error::new(format!("{FILE}#"), format!("cannot parse{at}: {e}"))
        })
    }

    /// This config as `generate.yaml` text.
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).expect("maps of strings always serialize")
    }
}

/// The pointer into `generate.yaml` of the method `key`
/// (`uploads.parts.create`).
pub fn method_pointer(key: &str) -> Pointer {
    let mut at = Pointer::root(&format!("{FILE}#/resources"));
    let words: Vec<&str> = key.split('.').collect();
    if let [resources @ .., method] = &words[..] {
        for (i, resource) in resources.iter().enumerate() {
            if i > 0 {
                at = at.join("subresources");
            }
            at = at.join(resource);
        }
        at = at.join("methods").join(method);
    }
    at
}

/// Splits `post /uploads/{upload_id}/cancel` into its method and path.
pub fn parse_endpoint(text: &str, pointer: &str) -> Result<(HttpMethod, String)> {
    let mut words = text.split_whitespace();
    let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
        return Err(Error::new(
            pointer,
            format!(
                "expected `<method> <path>`, like `post /uploads/{{upload_id}}/cancel`, not `{text}`"
            ),
        ));
    };
    let method = HttpMethod::parse(&method.to_ascii_lowercase())
        .ok_or_else(|| Error::new(pointer, format!("unknown HTTP method `{method}`")))?;
    if !path.starts_with('/') {
        return Err(Error::new(
            pointer,
            format!("path `{path}` must start with `/`"),
        ));
    }
    Ok((method, path.to_owned()))
}
