//! `spec/generate.yaml`: which operations become which methods.
//!
//! ```yaml
//! resources:
//!   uploads:
//!     methods:
//!       cancel: post /uploads/{upload_id}/cancel
//!     subresources:
//!       parts:
//!         methods:
//!           create: post /uploads/{upload_id}/parts
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Pointer, Result};
use crate::ir::HttpMethod;

pub const FILE: &str = "generate.yaml";

/// The whole generation config.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub resources: BTreeMap<String, ResourceConfig>,
}

/// One resource: its methods and nested resources.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceConfig {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub methods: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subresources: BTreeMap<String, ResourceConfig>,
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
