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

/// One fixture's library and CLI output, in the shape of the crates they
/// are generated for: `<fixture>_library` is the library's generated folder,
/// `<fixture>_cli` the CLI's, and `<fixture>` stands for the library crate
/// (its models and resources re-exported flat, as the library's `lib.rs`
/// does), which the CLI code names.
macro_rules! fixture {
    ($name:ident, $library_mod:ident, $cli_mod:ident, $library:literal, $cli:literal) => {
        #[path = $cli]
        pub mod $cli_mod;
        #[path = $library]
        pub mod $library_mod;

        pub mod $name {
            pub use crate::$library_mod::models::*;
            pub use crate::$library_mod::resources::*;
            pub use crate::{ApiResponse, Client, Error, FilePart, Result};
        }
    };
}

fixture!(
    arrays,
    arrays_library,
    arrays_cli,
    "../../tests/snapshots/arrays/library/mod.rs",
    "../../tests/snapshots/arrays/cli/mod.rs"
);
fixture!(
    docs,
    docs_library,
    docs_cli,
    "../../tests/snapshots/docs/library/mod.rs",
    "../../tests/snapshots/docs/cli/mod.rs"
);
fixture!(
    enums,
    enums_library,
    enums_cli,
    "../../tests/snapshots/enums/library/mod.rs",
    "../../tests/snapshots/enums/cli/mod.rs"
);
fixture!(
    inline,
    inline_library,
    inline_cli,
    "../../tests/snapshots/inline/library/mod.rs",
    "../../tests/snapshots/inline/cli/mod.rs"
);
fixture!(
    maps,
    maps_library,
    maps_cli,
    "../../tests/snapshots/maps/library/mod.rs",
    "../../tests/snapshots/maps/cli/mod.rs"
);
fixture!(
    multipart,
    multipart_library,
    multipart_cli,
    "../../tests/snapshots/multipart/library/mod.rs",
    "../../tests/snapshots/multipart/cli/mod.rs"
);
fixture!(
    nullables,
    nullables_library,
    nullables_cli,
    "../../tests/snapshots/nullables/library/mod.rs",
    "../../tests/snapshots/nullables/cli/mod.rs"
);
fixture!(
    objects,
    objects_library,
    objects_cli,
    "../../tests/snapshots/objects/library/mod.rs",
    "../../tests/snapshots/objects/cli/mod.rs"
);
fixture!(
    operations,
    operations_library,
    operations_cli,
    "../../tests/snapshots/operations/library/mod.rs",
    "../../tests/snapshots/operations/cli/mod.rs"
);
fixture!(
    refs,
    refs_library,
    refs_cli,
    "../../tests/snapshots/refs/library/mod.rs",
    "../../tests/snapshots/refs/cli/mod.rs"
);
fixture!(
    shared,
    shared_library,
    shared_cli,
    "../../tests/snapshots/shared/library/mod.rs",
    "../../tests/snapshots/shared/cli/mod.rs"
);
