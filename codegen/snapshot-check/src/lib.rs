//! Compiles every snapshot in `codegen/tests/snapshots/` against the real
//! runtime crate, `openai-runtime`, so a snapshot that would not build fails
//! `cargo test` and `cargo clippy` like any other code.

pub use openai_runtime::{ApiResponse, Error, FilePart, Result};

/// The library's client type, as a generated library's hand-written part
/// defines it: the runtime's client under a local type that the generated
/// resources can add methods to.
#[derive(Clone, Debug)]
pub struct Client(openai_runtime::Client);

impl From<openai_runtime::Client> for Client {
    fn from(client: openai_runtime::Client) -> Self {
        Self(client)
    }
}

impl std::ops::Deref for Client {
    type Target = openai_runtime::Client;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// One fixture's library and CLI output, as a module with the same shape as
/// the crates they are generated for.
macro_rules! fixture {
    ($name:ident) => {
        pub mod $name {
            pub use crate::{ApiResponse, Client, Error, FilePart, Result};
            pub use models::*;

            pub mod models {
                include!(concat!(
                    "../../tests/snapshots/",
                    stringify!($name),
                    "/models.rs"
                ));
            }
            pub mod resources {
                include!(concat!(
                    "../../tests/snapshots/",
                    stringify!($name),
                    "/resources.rs"
                ));
            }
            pub mod commands {
                include!(concat!(
                    "../../tests/snapshots/",
                    stringify!($name),
                    "/commands.rs"
                ));
            }
        }
    };
}

fixture!(arrays);
fixture!(enums);
fixture!(inline);
fixture!(maps);
fixture!(multipart);
fixture!(nullables);
fixture!(objects);
fixture!(operations);
fixture!(refs);
