//! Compiles every snapshot in `codegen/tests/snapshots/` against the real
//! runtime of `openai-uploads`, so a snapshot that would not build fails
//! `cargo test` and `cargo clippy` like any other code.

// Some runtime helpers are only used by the real crate's hand-written code.
#[allow(dead_code)]
#[path = "../../../crates/openai-uploads/src/runtime/mod.rs"]
pub mod runtime;

pub use runtime::{ApiResponse, Client, Error, FilePart, Result};

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
