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
fn union_is_unsupported() {
    let spec = spec_with(
        "      type: object\n      properties:\n        v:\n          oneOf: [{type: string}, {type: integer}]",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/properties/v/oneOf"),
        "`oneOf` of 2 schemas is not supported",
    );
}

#[test]
fn all_of_merge_is_unsupported() {
    let spec = spec_with(
        "      allOf:\n        - {type: object, properties: {a: {type: string}}}\n        - {type: object, properties: {b: {type: string}}}",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/allOf"),
        "merges 2 schemas",
    );
}

#[test]
fn not_keyword_is_unsupported() {
    let spec = spec_with("      not: {type: string}");
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/not"),
        "`not` is not supported",
    );
}

#[test]
fn integer_enum_is_unsupported() {
    let spec = spec_with(
        "      type: object\n      properties:\n        n: {type: integer, enum: [1, 2]}",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/properties/n/enum"),
        "only string enums",
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
fn required_property_that_does_not_exist() {
    let spec = spec_with(
        "      type: object\n      properties:\n        id: {type: string}\n      required: [id, nope]",
    );
    assert_error(
        &spec,
        CONFIG,
        &format!("{THING_PTR}/required/1"),
        "required property nope is not in `properties`",
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
fn header_parameters_are_unsupported() {
    let spec = path_spec(
        "/things/{thing_id}",
        "        - {name: thing_id, in: path, required: true, schema: {type: string}}\n        - {name: X-Trace, in: header, schema: {type: string}}",
    );
    let config = "resources:\n  things:\n    methods:\n      cancel: post /things/{thing_id}\n";
    assert_error(
        &spec,
        config,
        "#/paths/~1things~1{thing_id}/post/parameters/1/in",
        "`in: header` parameters are not supported",
    );
}

#[test]
fn operation_without_json_response() {
    let spec = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /things:\n    delete:\n      responses:\n        '204': {description: gone}\n";
    let config = "resources:\n  things:\n    methods:\n      delete: delete /things\n";
    assert_error(
        spec,
        config,
        "#/paths/~1things/delete/responses/204",
        "application/json",
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
    assert_eq!(
        api.resources[0].operations[0].path,
        "/uploads/{upload_id}/cancel"
    );
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
