//! The library as crates, after AWS SDK for Rust and google-cloud-rust: one
//! crate per top-level resource (`openai-batches`, `openai-admin`, ...), the
//! models several of them use in `openai-types`, and `openai-api`, one
//! dependency with one `Client` for every resource and a cargo feature per
//! resource. Uploads keeps its hand-written crate, `openai-uploads`, whose
//! `src/generated/` holds its part. A program compiles only the crates of
//! the resources it uses.
//!
//! Everything here is generated: the manifests too, so `gen --check`
//! covers them, and the workspace takes the crates by a glob.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::*;
use crate::names::kebab;
use crate::render::{doc_attrs, ident};

/// Where the generated crates go, relative to the repository root.
pub const CRATES_DIR: &str = "generated";
/// The crate of the models several resource crates use.
pub const TYPES_CRATE: &str = "openai-types";
/// The crate that reaches every resource.
pub const FACADE_CRATE: &str = "openai-api";
/// Top-level resources whose library is a hand-written crate, with the
/// folder its generated part goes in.
pub const HAND_WRITTEN: &[(&str, &str, &str)] = &[(
    "uploads",
    "openai-uploads",
    "crates/openai-uploads/src/generated",
)];

/// One library crate's share of the API.
pub struct LibraryCrate {
    /// Package name, e.g. `openai-batches`.
    pub package: String,
    /// Where its generated modules go, relative to the repository root.
    pub generated_dir: String,
    /// The crate's own folder, when the whole crate is generated.
    pub crate_dir: Option<String>,
    /// Its resources and models, with every type of the API to look up.
    pub api: Api,
    pub doc: String,
    /// The top-level resource, `None` for the types crate.
    pub resource: Option<String>,
}

/// The library crates of `api`: the types crate first (when there are
/// shared models), then one per top-level resource.
pub fn split(api: &Api) -> Vec<LibraryCrate> {
    let shared = api
        .model_modules
        .iter()
        .any(|m| m.path.first().is_some_and(|p| p == SHARED_MODULE));
    let types_lib = TYPES_CRATE.replace('-', "_");
    let part = |resources: Vec<Resource>, modules: Vec<ModelModule>, from: Option<String>| Api {
        resources,
        types: api.types.clone(),
        model_modules: modules,
        warnings: Vec::new(),
        models_from: from,
    };
    let mut crates = Vec::new();
    if shared {
        let modules = api
            .model_modules
            .iter()
            .filter(|m| m.path.first().is_some_and(|p| p == SHARED_MODULE))
            .cloned()
            .collect();
        crates.push(LibraryCrate {
            package: TYPES_CRATE.to_owned(),
            generated_dir: format!("{CRATES_DIR}/{TYPES_CRATE}/src/generated"),
            crate_dir: Some(format!("{CRATES_DIR}/{TYPES_CRATE}")),
            api: part(Vec::new(), modules, None),
            doc: "The models that several of the OpenAI API's resource crates use.".to_owned(),
            resource: None,
        });
    }
    for resource in &api.resources {
        let modules = api
            .model_modules
            .iter()
            .filter(|m| m.path.first() == Some(&resource.module))
            .cloned()
            .collect();
        let from = shared.then(|| types_lib.clone());
        let sub = part(vec![resource.clone()], modules, from);
        let (package, generated_dir, crate_dir) = match HAND_WRITTEN
            .iter()
            .find(|(name, _, _)| *name == resource.api_name)
        {
            Some((_, package, dir)) => ((*package).to_owned(), (*dir).to_owned(), None),
            None => {
                let package = format!("openai-{}", kebab(&resource.api_name));
                let dir = format!("{CRATES_DIR}/{package}");
                (package, format!("{dir}/src/generated"), Some(dir))
            }
        };
        crates.push(LibraryCrate {
            package,
            generated_dir,
            crate_dir,
            api: sub,
            doc: resource.doc.clone(),
            resource: Some(resource.name.clone()),
        });
    }
    crates
}

/// The `lib.rs` of a generated crate.
pub fn lib_rs(krate: &LibraryCrate) -> TokenStream {
    let client = krate.resource.as_ref().map(|_| {
        quote! {
            openai_runtime::client!();
            pub use generated::resources::*;
        }
    });
    quote! {
        mod generated;

        pub use generated::models::*;
        pub use openai_runtime as runtime;
        pub use openai_runtime::{ApiErrorBody, ApiResponse, Call, Error, FilePart, Result};
        #client
    }
}

/// The `lib.rs` of the facade: every resource crate behind its feature,
/// and one `Client` that reaches them all.
pub fn facade_rs(crates: &[LibraryCrate]) -> TokenStream {
    let resources: Vec<_> = crates.iter().filter(|c| c.resource.is_some()).collect();
    let fields = resources.iter().map(|c| {
        let (feature, field, lib) = names(c);
        quote! {
            #[cfg(feature = #feature)]
            #field: #lib::Client,
        }
    });
    let inits = resources.iter().map(|c| {
        let (feature, field, lib) = names(c);
        quote! {
            #[cfg(feature = #feature)]
            #field: #lib::Client::from(runtime.clone()),
        }
    });
    let methods = resources.iter().map(|c| {
        let (feature, field, lib) = names(c);
        let doc = doc_attrs(Some(&c.doc));
        let handle = ident(&c.api.resources[0].type_name);
        let accessor = ident(&c.api.resources[0].name);
        quote! {
            #doc
            #[cfg(feature = #feature)]
            pub fn #accessor(&self) -> #lib::#handle<'_> {
                self.#field.#accessor()
            }
        }
    });
    let reexports = resources.iter().map(|c| {
        let (feature, _, lib) = names(c);
        quote! {
            #[cfg(feature = #feature)]
            pub use #lib;
        }
    });
    quote! {
        pub use openai_runtime as runtime;
        pub use openai_runtime::{ApiErrorBody, ApiResponse, Call, Error, FilePart, Result};
        #(#reexports)*

        /// An OpenAI API client for every resource. Cheap to clone: clones
        /// share one configuration and one connection pool.
        #[derive(Clone)]
        pub struct Client {
            runtime: openai_runtime::Client,
            #(#fields)*
        }

        /// Configures and builds a [`Client`].
        pub type ClientBuilder = openai_runtime::ClientBuilder<Client>;

        impl Client {
            /// A [`ClientBuilder`] with nothing set (the environment is not read).
            pub fn builder() -> ClientBuilder {
                ClientBuilder::new()
            }

            /// A client configured from `OPENAI_API_KEY` (required),
            /// `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`.
            pub fn from_env() -> Result<Self> {
                ClientBuilder::from_env().build()
            }

            /// The runtime's client, which sends the requests.
            pub fn runtime(&self) -> &openai_runtime::Client {
                &self.runtime
            }

            #(#methods)*
        }

        impl From<openai_runtime::Client> for Client {
            fn from(runtime: openai_runtime::Client) -> Self {
                Self {
                    #(#inits)*
                    runtime,
                }
            }
        }

        impl std::fmt::Debug for Client {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&self.runtime, f)
            }
        }
    }
}

/// A resource crate's feature, facade field and library path.
fn names(krate: &LibraryCrate) -> (String, proc_macro2::Ident, proc_macro2::Ident) {
    let resource = krate.resource.as_deref().unwrap_or_default();
    let feature = kebab(resource);
    (
        feature,
        ident(resource),
        ident(&krate.package.replace('-', "_")),
    )
}

/// The manifest of a generated crate.
pub fn manifest(krate: &LibraryCrate, uses_types: bool) -> String {
    let types = if uses_types {
        format!(
            "{TYPES_CRATE} = {{ path = \"../{TYPES_CRATE}\", version = \"0.1.0\", default-features = false }}\n"
        )
    } else {
        String::new()
    };
    let tls_types = |feature: &str| {
        if uses_types {
            format!(", \"{TYPES_CRATE}/{feature}\"")
        } else {
            String::new()
        }
    };
    format!(
        "{MANIFEST_HEADER}[package]
name = \"{package}\"
description = \"{description}\"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true

[lib]
# Generated code has no tests of its own; the workspace's tests cover it.
test = false
doctest = false

[features]
default = [\"rustls\"]
rustls = [\"openai-runtime/rustls\"{rustls}]
native-tls = [\"openai-runtime/native-tls\"{native}]

[dependencies]
openai-runtime.workspace = true
serde.workspace = true
serde_json.workspace = true
{types}",
        package = krate.package,
        description = krate.doc.replace('"', "'"),
        rustls = tls_types("rustls"),
        native = tls_types("native-tls"),
    )
}

/// The module doc of the facade's `lib.rs`.
pub const FACADE_DOC: &str = "\
The whole OpenAI API in one dependency: every resource crate behind a
cargo feature of its name (all on by default), and one [`Client`] that
reaches each of them (`client.batches()`, `client.fine_tuning()`).";

/// The facade's manifest: a feature per resource crate, all on by default.
pub fn facade_manifest(crates: &[LibraryCrate]) -> String {
    let resources: Vec<&LibraryCrate> = crates.iter().filter(|c| c.resource.is_some()).collect();
    let mut features = String::new();
    let mut deps = String::new();
    let defaults: Vec<String> = resources
        .iter()
        .map(|c| format!("\"{}\"", names(c).0))
        .collect();
    for c in &resources {
        let path = match &c.crate_dir {
            Some(_) => format!("../{}", c.package),
            None => format!("../../crates/{}", c.package),
        };
        features.push_str(&format!("{} = [\"dep:{}\"]\n", names(c).0, c.package));
        deps.push_str(&format!(
            "{} = {{ path = \"{path}\", version = \"0.1.0\", optional = true }}\n",
            c.package
        ));
    }
    format!(
        "{MANIFEST_HEADER}[package]
name = \"{FACADE_CRATE}\"
description = \"The whole OpenAI API: every resource crate behind a feature, one Client\"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true

[lib]
test = false
doctest = false

[features]
default = [\"rustls\", {defaults}]
rustls = [\"openai-runtime/rustls\"]
native-tls = [\"openai-runtime/native-tls\"]
{features}
[dependencies]
openai-runtime.workspace = true
{deps}",
        defaults = defaults.join(", "),
    )
}

const MANIFEST_HEADER: &str = "\
# @generated by `cargo xtask gen` from spec/openapi.yaml and spec/generate.yaml.
# Do not edit by hand: edit the spec and run `cargo xtask gen`.

";
