//! Every malformed or unsupported input is an error that names its place.

const CONFIG: &str = "resources:\n  things:\n    methods:\n      get: get /things/{thing_id}\n";

/// A spec with one operation whose response schema is `schema`.
fn spec_with(schema: &str) -> String {
    format!(
        r##"openapi: 3.1.0
info: {{title: t, version: "1"}}
paths:
  /things/{{thing_id}}:
    get:
      parameters:
        - {{name: thing_id, in: path, required: true, schema: {{type: string}}}}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/Thing"}}
components:
  schemas:
    Thing:
{schema}
"##
    )
}

fn error(spec: &str, config: &str) -> codegen::Error {
    match codegen::generate(spec, config, "openai_uploads") {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn assert_error(spec: &str, config: &str, pointer: &str, message: &str) {
    let e = error(spec, config);
    assert_eq!(e.pointer, pointer, "wrong pointer in: {e}");
    assert!(e.message.contains(message), "expected {message:?} in: {e}");
}

const THING_PTR: &str = "#/components/schemas/Thing";

#[test]
fn valid_base_spec_generates() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    codegen::generate(&spec, CONFIG, "openai_uploads").unwrap();
}

#[test]
fn missing_ref_target() {
    let spec = spec_with(
        "      type: object\n      properties:\n        file: {$ref: \"#/components/schemas/Nope\"}",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/properties/file/$ref"),
        "`#/components/schemas/Nope` does not exist",
    );
}

#[test]
fn external_ref() {
    let spec =
        spec_with("      type: object\n      properties:\n        file: {$ref: \"other.yaml#/X\"}");
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/properties/file/$ref"),
        "only references",
    );
}

#[test]
fn all_of_with_a_union_member() {
    let spec = spec_with(
        "      allOf:\n        - {type: object, properties: {a: {type: string}}}\n        - oneOf: [{type: object, properties: {b: {type: string}}}, {type: object, properties: {c: {type: string}}}]",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/allOf/1"),
        "`allOf` with a union member is not supported",
    );
}

#[test]
fn all_of_with_a_scalar_member() {
    let spec = spec_with(
        "      allOf:\n        - {type: object, properties: {a: {type: string}}}\n        - {type: string}",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/allOf/1"),
        "`allOf` merges objects only",
    );
}

#[test]
fn not_around_a_schema() {
    let spec = spec_with("      not: {type: string}");
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/not"),
        "`not` is supported only around `required`",
    );
}

#[test]
fn mixed_enum() {
    let spec = spec_with(
        "      type: object\n      properties:\n        n: {type: integer, enum: [1, two]}",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/properties/n/enum/1"),
        "mixed enums are not supported",
    );
}

#[test]
fn unknown_type() {
    let spec = spec_with("      type: object\n      properties:\n        n: {type: decimal}");
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/properties/n/type"),
        "type `decimal` is not supported",
    );
}

#[test]
fn binary_outside_multipart() {
    let spec = spec_with(
        "      type: object\n      properties:\n        data: {type: string, format: binary}",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/properties/data/format"),
        "multipart",
    );
}

#[test]
fn required_property_that_does_not_exist_is_a_warning() {
    let spec = spec_with(
        "      type: object\n      properties:\n        id: {type: string}\n      required: [id, nope]",
    );
    let api = codegen::lower(&spec, CONFIG).unwrap();
    let warnings: Vec<String> = api.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [format!(
            "{THING_PTR}/required/1: required property `nope` is not in `properties`; ignored"
        )]
    );
}

#[test]
fn two_properties_with_one_rust_name() {
    let spec = spec_with(
        "      type: object\n      properties:\n        fooBar: {type: string}\n        foo_bar: {type: string}",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/properties/foo_bar"),
        "are both the field `foo_bar`",
    );
}

#[test]
fn inline_type_name_collides_with_a_component() {
    let spec = spec_with(
        "      type: object\n      properties:\n        status: {type: string, enum: [a, b]}\n        other: {$ref: \"#/components/schemas/ThingStatus\"}\n    ThingStatus:\n      type: string\n      enum: [x, y]",
    );
    let e = error(&spec, CONFIG);
    assert!(
        e.message
            .contains("the Rust type name `ThingStatus` is already taken"),
        "{e}"
    );
    assert!(
        e.pointer.contains("ThingStatus") || e.message.contains("ThingStatus"),
        "{e}"
    );
}

#[test]
fn two_components_with_one_rust_name() {
    let spec = spec_with(
        "      type: object\n      properties:\n        a: {$ref: \"#/components/schemas/OpenAIFile\"}\n        b: {$ref: \"#/components/schemas/OpenAiFile\"}\n    OpenAIFile: {type: object, properties: {x: {type: string}}}\n    OpenAiFile: {type: object, properties: {y: {type: string}}}",
    );
    assert_error(
        &spec,
        CONFIG,
        "#/components/schemas/OpenAiFile",
        "the Rust type name `OpenAiFile` is already taken by #/components/schemas/OpenAIFile",
    );
}

#[test]
fn enum_values_with_one_variant_name() {
    let spec = spec_with("      type: string\n      enum: [fine-tune, fine_tune]");
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/enum/1"),
        "are both the variant `FineTune`",
    );
}

#[test]
fn config_path_not_in_spec() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let config = "resources:\n  things:\n    methods:\n      get: get /nothing/{id}\n";
    assert_error(
        &spec,
        config,
        "generate.yaml#/resources/things/methods/get",
        "the spec has no path `/nothing/{id}`",
    );
}

#[test]
fn config_method_not_in_spec() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let config = "resources:\n  things:\n    methods:\n      remove: delete /things/{thing_id}\n";
    assert_error(
        &spec,
        config,
        "generate.yaml#/resources/things/methods/remove",
        "no `delete` operation",
    );
}

#[test]
fn config_endpoint_malformed() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    for (endpoint, message) in [
        ("get", "expected `<method> <path>`"),
        ("fetch /things/{thing_id}", "unknown HTTP method `fetch`"),
        ("get things", "must start with `/`"),
    ] {
        let config = format!("resources:\n  things:\n    methods:\n      get: {endpoint}\n");
        assert_error(
            &spec,
            &config,
            "generate.yaml#/resources/things/methods/get",
            message,
        );
    }
}

#[test]
fn config_unknown_key() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let e = error(
        &spec,
        "resources:\n  things:\n    method:\n      get: get /things/{thing_id}\n",
    );
    assert_eq!(e.pointer, "generate.yaml#");
    assert!(e.message.contains("unknown field `method`"), "{e}");
}

#[test]
fn config_method_and_subresource_collide() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let config = "resources:\n  things:\n    methods:\n      parts: get /things/{thing_id}\n    subresources:\n      parts:\n        methods:\n          get: get /things/{thing_id}\n";
    assert_error(
        &spec,
        config,
        "generate.yaml#/resources/things/subresources/parts",
        "are both `parts` in Rust",
    );
}

#[test]
fn a_resource_handle_named_like_a_model_gets_a_suffix() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let config = "resources:\n  thing:\n    methods:\n      get: get /things/{thing_id}\n";
    let api = codegen::lower(&spec, config).unwrap();
    assert_eq!(api.resources[0].type_name, "ThingHandle");
    assert_eq!(api.resources[0].cli.command_type, "ThingHandleCommand");
    assert_eq!(api.resources[0].operations[0].resource_type, "ThingHandle");
}

#[test]
fn two_resource_handles_with_one_name() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let config = "resources:\n  a_b:\n    methods:\n      get: get /things/{thing_id}\n  \
                  a:\n    subresources:\n      b:\n        methods:\n          get: get /things/{thing_id}\n";
    let e = error(&spec, config);
    assert!(e.pointer.starts_with("generate.yaml#/resources/a"), "{e}");
    assert!(e.message.contains("all named `AB` in Rust"), "{e}");
}

fn path_spec(template: &str, params: &str) -> String {
    format!(
        r##"openapi: 3.1.0
info: {{title: t, version: "1"}}
paths:
  {template}:
    post:
      parameters:
{params}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {{type: object, properties: {{id: {{type: string}}}}}}
"##
    )
}

#[test]
fn path_parameter_not_in_template() {
    let spec = path_spec(
        "/things/{thing_id}/cancel",
        "        - {name: thing_id, in: path, required: true, schema: {type: string}}\n        - {name: batch_id, in: path, required: true, schema: {type: string}}",
    );
    let config =
        "resources:\n  things:\n    methods:\n      cancel: post /things/{thing_id}/cancel\n";
    assert_error(
        &spec,
        config,
        "#/paths/~1things~1{thing_id}~1cancel/post/parameters/1",
        "path parameter `batch_id` is not in the path template",
    );
}

#[test]
fn template_parameter_not_declared() {
    let spec = path_spec(
        "/things/{thing_id}/{other}",
        "        - {name: thing_id, in: path, required: true, schema: {type: string}}",
    );
    let config =
        "resources:\n  things:\n    methods:\n      cancel: post /things/{thing_id}/{other}\n";
    assert_error(
        &spec,
        config,
        "#/paths/~1things~1{thing_id}~1{other}/post",
        "uses `{other}`, which is not a declared path parameter",
    );
}

#[test]
fn unclosed_brace_in_template() {
    let spec = path_spec(
        "/things/{thing_id",
        "        - {name: thing_id, in: path, required: true, schema: {type: string}}",
    );
    let config = "resources:\n  things:\n    methods:\n      cancel: post /things/{thing_id\n";
    assert_error(
        &spec,
        config,
        "#/paths/~1things~1{thing_id/post",
        "unclosed `{`",
    );
}

#[test]
fn header_parameter_the_client_sets() {
    let spec = path_spec(
        "/things/{thing_id}",
        "        - {name: thing_id, in: path, required: true, schema: {type: string}}\n        - {name: Authorization, in: header, schema: {type: string}}",
    );
    let config = "resources:\n  things:\n    methods:\n      cancel: post /things/{thing_id}\n";
    assert_error(
        &spec,
        config,
        "#/paths/~1things~1{thing_id}/post/parameters/1/name",
        "set by the client itself",
    );
}

#[test]
fn header_parameter_of_form_style() {
    let spec = path_spec(
        "/things/{thing_id}",
        "        - {name: thing_id, in: path, required: true, schema: {type: string}}\n        - {name: X-Trace, in: header, style: form, schema: {type: string}}",
    );
    let config = "resources:\n  things:\n    methods:\n      cancel: post /things/{thing_id}\n";
    assert_error(
        &spec,
        config,
        "#/paths/~1things~1{thing_id}/post/parameters/1/style",
        "`style: form` are not supported",
    );
}

#[test]
fn fixed_query_key_also_declared() {
    let spec = path_spec(
        "/things/{thing_id}?beta=true",
        "        - {name: thing_id, in: path, required: true, schema: {type: string}}\n        - {name: beta, in: query, schema: {type: boolean}}",
    );
    let config =
        "resources:\n  things:\n    methods:\n      cancel: post /things/{thing_id}?beta=true\n";
    assert_error(
        &spec,
        config,
        "#/paths/~1things~1{thing_id}?beta=true/post/parameters/1",
        "also fixed by the path key",
    );
}

#[test]
fn streaming_only_reply() {
    let spec = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /things:\n    post:\n      responses:\n        '200':\n          description: events\n          content:\n            text/event-stream: {schema: {type: string}}\n";
    let config = "resources:\n  things:\n    methods:\n      watch: post /things\n";
    assert_error(
        spec,
        config,
        "#/paths/~1things/post/responses/200/content",
        "streaming replies",
    );
}

#[test]
fn not_yaml_at_all() {
    let e = error("openapi: [unclosed", CONFIG);
    assert_eq!(e.pointer, "#");
    assert!(e.message.contains("cannot parse the spec"), "{e}");
}

#[test]
fn wrong_openapi_version() {
    let e = error("openapi: 2.0\npaths: {}\n", CONFIG);
    assert_eq!(e.pointer, "#/openapi");
}

#[test]
fn the_real_spec_generates() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = std::fs::read_to_string(root.join("spec/openapi.yaml")).unwrap();
    let config = std::fs::read_to_string(root.join("spec/generate.yaml")).unwrap();
    let api = codegen::lower(&spec, &config).unwrap();
    assert_eq!(api.operations().count(), 288);
    let cancel = api
        .operations()
        .find(|op| op.key == "uploads.cancel")
        .expect("uploads.cancel");
    assert_eq!(cancel.path, "/uploads/{upload_id}/cancel");
    assert!(
        api.types.contains_key("OpenAiFile"),
        "{:?}",
        api.types.keys()
    );
}

#[test]
fn a_module_never_repeats_the_name_around_it() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let config = "resources:\n  models:\n    methods:\n      get: get /things/{thing_id}\n    \
                  subresources:\n      models:\n        methods:\n          get: get /things/{thing_id}\n";
    let api = codegen::lower(&spec, config).unwrap();
    let top = &api.resources[0];
    assert_eq!(
        (top.name.as_str(), top.module.as_str()),
        ("models", "models_resource")
    );
    let sub = &top.subresources[0];
    assert_eq!(sub.module, "models");
    assert_eq!(sub.module_path, ["models_resource", "models"]);
    assert_eq!(sub.chain, ["models", "models"]);
}

#[test]
fn an_empty_resource() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let config = "resources:\n  things:\n    methods:\n      get: get /things/{thing_id}\n    subresources:\n      parts: {}\n";
    assert_error(
        &spec,
        config,
        "generate.yaml#/resources/things/subresources/parts",
        "has no methods and no subresources",
    );
}

#[test]
fn a_description_may_quote_the_formatter_marker() {
    // Files are formatted in batches split at a marker comment; a description
    // that quotes it stays a doc line of its own file.
    let spec = spec_with(
        "      type: object\n      description: \"see // @codegen-file 0 here\"\n      \
         properties:\n        id: {type: string, description: \"// @codegen-file 1\"}",
    );
    let generated = codegen::generate(&spec, CONFIG, "openai_uploads").unwrap();
    let models = generated
        .library
        .iter()
        .find(|(_, text)| text.contains("pub struct Thing"))
        .map(|(_, text)| text.as_str())
        .expect("the model file");
    assert!(
        models.contains("/// see // @codegen-file 0 here"),
        "{models}"
    );
    assert!(models.contains("/// // @codegen-file 1"), "{models}");
}

/// A generated command or group may not take the place of one the CLI writes by hand.
#[test]
fn a_command_that_would_shadow_a_hand_written_one() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let hand = "    commands:\n      upload: Upload a file.\n      prune: Prune.\n";
    assert_error(
        &spec,
        &format!(
            "resources:\n  uploads:\n{hand}    methods:\n      upload: get /things/{{thing_id}}\n"
        ),
        "generate.yaml#/resources/uploads/methods/upload",
        "the command `openai uploads upload` would take the place of the hand-written command",
    );
    assert_error(
        &spec,
        "resources:\n  completion:\n    methods:\n      get: get /things/{thing_id}\n",
        "generate.yaml#/resources/completion",
        "the command group `openai completion` would take the place",
    );
    assert_error(
        &spec,
        &format!(
            "resources:\n  uploads:\n{hand}    subresources:\n      prune:\n        methods:\n          get: get /things/{{thing_id}}\n"
        ),
        "generate.yaml#/resources/uploads",
        "the group `uploads:prune` would take the place of the hand-written command",
    );
    // The same names elsewhere, or without the hand-written ones, are fine.
    codegen::generate(
        &spec,
        "resources:\n  things:\n    methods:\n      upload: get /things/{thing_id}\n",
        "openai_uploads",
    )
    .unwrap();
}

#[test]
fn an_alias_may_not_name_another_command() {
    let spec = spec_with("      type: object\n      properties:\n        id: {type: string}");
    let config = "resources:\n  things:\n    methods:\n      get: get /things/{thing_id}\n      \
                  fetch:\n        op: get /things/{thing_id}\n        aliases: [get]\n";
    assert_error(
        &spec,
        config,
        "generate.yaml#/resources/things/methods/get",
        "would name two commands",
    );
}
