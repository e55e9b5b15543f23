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
    all_of,
    all_of_library,
    all_of_cli,
    "../../tests/snapshots/all_of/library/mod.rs",
    "../../tests/snapshots/all_of/cli/mod.rs"
);
fixture!(
    arrays,
    arrays_library,
    arrays_cli,
    "../../tests/snapshots/arrays/library/mod.rs",
    "../../tests/snapshots/arrays/cli/mod.rs"
);
fixture!(
    binary_reply,
    binary_reply_library,
    binary_reply_cli,
    "../../tests/snapshots/binary_reply/library/mod.rs",
    "../../tests/snapshots/binary_reply/cli/mod.rs"
);
fixture!(
    bodiless_reply,
    bodiless_reply_library,
    bodiless_reply_cli,
    "../../tests/snapshots/bodiless_reply/library/mod.rs",
    "../../tests/snapshots/bodiless_reply/cli/mod.rs"
);
fixture!(
    boolean_exclusive_minimum,
    boolean_exclusive_minimum_library,
    boolean_exclusive_minimum_cli,
    "../../tests/snapshots/boolean_exclusive_minimum/library/mod.rs",
    "../../tests/snapshots/boolean_exclusive_minimum/cli/mod.rs"
);
fixture!(
    deprecated_required,
    deprecated_required_library,
    deprecated_required_cli,
    "../../tests/snapshots/deprecated_required/library/mod.rs",
    "../../tests/snapshots/deprecated_required/cli/mod.rs"
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
    event_stream_beside_json,
    event_stream_beside_json_library,
    event_stream_beside_json_cli,
    "../../tests/snapshots/event_stream_beside_json/library/mod.rs",
    "../../tests/snapshots/event_stream_beside_json/cli/mod.rs"
);
fixture!(
    header_parameter,
    header_parameter_library,
    header_parameter_cli,
    "../../tests/snapshots/header_parameter/library/mod.rs",
    "../../tests/snapshots/header_parameter/cli/mod.rs"
);
fixture!(
    inline,
    inline_library,
    inline_cli,
    "../../tests/snapshots/inline/library/mod.rs",
    "../../tests/snapshots/inline/cli/mod.rs"
);
fixture!(
    integer_enum,
    integer_enum_library,
    integer_enum_cli,
    "../../tests/snapshots/integer_enum/library/mod.rs",
    "../../tests/snapshots/integer_enum/cli/mod.rs"
);
fixture!(
    json_and_multipart,
    json_and_multipart_library,
    json_and_multipart_cli,
    "../../tests/snapshots/json_and_multipart/library/mod.rs",
    "../../tests/snapshots/json_and_multipart/cli/mod.rs"
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
    nested_union,
    nested_union_library,
    nested_union_cli,
    "../../tests/snapshots/nested_union/library/mod.rs",
    "../../tests/snapshots/nested_union/cli/mod.rs"
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
    open_enum_or_string,
    open_enum_or_string_library,
    open_enum_or_string_cli,
    "../../tests/snapshots/open_enum_or_string/library/mod.rs",
    "../../tests/snapshots/open_enum_or_string/cli/mod.rs"
);
fixture!(
    operations,
    operations_library,
    operations_cli,
    "../../tests/snapshots/operations/library/mod.rs",
    "../../tests/snapshots/operations/cli/mod.rs"
);
fixture!(
    out_of_range_minimum,
    out_of_range_minimum_library,
    out_of_range_minimum_cli,
    "../../tests/snapshots/out_of_range_minimum/library/mod.rs",
    "../../tests/snapshots/out_of_range_minimum/cli/mod.rs"
);
fixture!(
    recursive_union,
    recursive_union_library,
    recursive_union_cli,
    "../../tests/snapshots/recursive_union/library/mod.rs",
    "../../tests/snapshots/recursive_union/cli/mod.rs"
);
fixture!(
    refs,
    refs_library,
    refs_cli,
    "../../tests/snapshots/refs/library/mod.rs",
    "../../tests/snapshots/refs/cli/mod.rs"
);
fixture!(
    required_absent,
    required_absent_library,
    required_absent_cli,
    "../../tests/snapshots/required_absent/library/mod.rs",
    "../../tests/snapshots/required_absent/cli/mod.rs"
);
fixture!(
    scalar_or_array,
    scalar_or_array_library,
    scalar_or_array_cli,
    "../../tests/snapshots/scalar_or_array/library/mod.rs",
    "../../tests/snapshots/scalar_or_array/cli/mod.rs"
);
fixture!(
    shared,
    shared_library,
    shared_cli,
    "../../tests/snapshots/shared/library/mod.rs",
    "../../tests/snapshots/shared/cli/mod.rs"
);
fixture!(
    string_or_object,
    string_or_object_library,
    string_or_object_cli,
    "../../tests/snapshots/string_or_object/library/mod.rs",
    "../../tests/snapshots/string_or_object/cli/mod.rs"
);
fixture!(
    tagged_union,
    tagged_union_library,
    tagged_union_cli,
    "../../tests/snapshots/tagged_union/library/mod.rs",
    "../../tests/snapshots/tagged_union/cli/mod.rs"
);
fixture!(
    text_reply,
    text_reply_library,
    text_reply_cli,
    "../../tests/snapshots/text_reply/library/mod.rs",
    "../../tests/snapshots/text_reply/cli/mod.rs"
);
fixture!(
    unknown_enum_value,
    unknown_enum_value_library,
    unknown_enum_value_cli,
    "../../tests/snapshots/unknown_enum_value/library/mod.rs",
    "../../tests/snapshots/unknown_enum_value/cli/mod.rs"
);
fixture!(
    untagged_union,
    untagged_union_library,
    untagged_union_cli,
    "../../tests/snapshots/untagged_union/library/mod.rs",
    "../../tests/snapshots/untagged_union/cli/mod.rs"
);
fixture!(
    validation_only_union,
    validation_only_union_library,
    validation_only_union_cli,
    "../../tests/snapshots/validation_only_union/library/mod.rs",
    "../../tests/snapshots/validation_only_union/cli/mod.rs"
);
