//! `cargo xtask conformance`: the `openai` binary against Steady, a mock
//! server driven by `spec/openapi.yaml` that judges every request.
//!
//! Steady (`@stdy/cli`, pinned by `conformance/package-lock.json`) is
//! installed with `npm ci` under `target/conformance`. Every method in
//! `spec/generate.yaml` must have a case in `conformance/cases.yaml`.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use crate::util::{self, ChildGuard};

/// A placeholder key: Steady does not check it, and it is not a secret.
const API_KEY: &str = "sk-conformance";
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const LOG_TIMEOUT: Duration = Duration::from_secs(10);
const VALID_HEADER: &str = "x-steady-request-valid";

pub fn run() -> Result<(), String> {
    let root = util::root();
    let methods = read_methods(&read_yaml(&root.join("spec/generate.yaml"))?)?;
    let cases = read_cases(&root.join("conformance/cases.yaml"))?;
    check_coverage(&methods, &cases)?;
    let spec_path = root.join("spec/openapi.yaml");
    let spec = read_yaml(&spec_path)?;

    println!("==> building openai");
    util::run(&mut util::cargo(["build", "--quiet", "-p", "openai-cli"]))?;
    let steady = install_steady()?;

    println!("==> steady validate spec/openapi.yaml");
    let mut validate = Command::new(&steady);
    validate
        .arg("validate")
        .arg(&spec_path)
        .env("NO_COLOR", "1");
    let checked = util::output_within(&mut validate, STARTUP_TIMEOUT)?;
    if !checked.status.success() {
        return Err(format!(
            "Steady finds problems in spec/openapi.yaml:\n{}{}",
            checked.stdout, checked.stderr
        ));
    }

    let server = Steady::start(&steady, &spec_path)?;
    println!(
        "==> Steady {} is serving on 127.0.0.1:{} (pid {})",
        steady_version(),
        server.port,
        server.guard.id()
    );
    let base_url = format!("http://127.0.0.1:{}", server.port);
    let openai = util::debug_bin("openai");
    let (mut passed, mut failed) = (0, 0);
    for (key, endpoint) in &methods {
        let response = response_schema(&spec, endpoint)
            .map_err(|e| format!("{key} ({} {}): {e}", endpoint.method, endpoint.path))?;
        for case in &cases[key] {
            let problems = run_case(&openai, &base_url, &server, endpoint, &response, case);
            let shown = format!("openai {}", case.args.join(" "));
            if problems.is_empty() {
                passed += 1;
                println!("  ok    {key}: {shown}");
            } else {
                failed += 1;
                println!("  FAIL  {key}: {shown}");
                for problem in problems {
                    println!("        {}", problem.replace('\n', "\n        "));
                }
            }
        }
    }
    let pid = server.guard.id();
    let log = server.log.clone();
    server.guard.stop();
    println!(
        "==> stopped Steady (pid {pid}); its log is {}",
        log.display()
    );
    println!("conformance: {passed} passed, {failed} failed");
    if failed > 0 {
        return Err(format!("{failed} conformance case(s) failed"));
    }
    Ok(())
}

/// One operation, as `generate.yaml` names it: `post /uploads/{upload_id}/cancel`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    method: String,
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    args: Vec<String>,
}

fn read_yaml(path: &Path) -> Result<Yaml, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{} is not valid YAML: {e}", path.display()))
}

/// Every method in `generate.yaml`, keyed `resource[.subresource].method`.
fn read_methods(generate: &Yaml) -> Result<BTreeMap<String, Endpoint>, String> {
    let resources = generate
        .get("resources")
        .ok_or("spec/generate.yaml has no `resources`")?;
    let mut methods = BTreeMap::new();
    collect_methods("", resources, &mut methods)?;
    if methods.is_empty() {
        return Err("spec/generate.yaml names no methods".into());
    }
    Ok(methods)
}

fn collect_methods(
    prefix: &str,
    resources: &Yaml,
    out: &mut BTreeMap<String, Endpoint>,
) -> Result<(), String> {
    let resources = resources
        .as_mapping()
        .ok_or_else(|| format!("spec/generate.yaml: `{prefix}` resources are not a map"))?;
    for (name, resource) in resources {
        let name = name
            .as_str()
            .ok_or("spec/generate.yaml: a resource name is not a string")?;
        let key = format!("{prefix}{name}");
        if let Some(methods) = resource.get("methods") {
            let methods = methods
                .as_mapping()
                .ok_or_else(|| format!("spec/generate.yaml: `{key}.methods` is not a map"))?;
            for (method, value) in methods {
                let method = method.as_str().ok_or_else(|| {
                    format!("spec/generate.yaml: a method of `{key}` is not named")
                })?;
                let key = format!("{key}.{method}");
                let endpoint = parse_endpoint(value)
                    .ok_or_else(|| format!("spec/generate.yaml: `{key}` is not `verb /path`"))?;
                out.insert(key, endpoint);
            }
        }
        if let Some(subresources) = resource.get("subresources") {
            collect_methods(&format!("{key}."), subresources, out)?;
        }
    }
    Ok(())
}

/// `post /path`, or a map whose `endpoint` is that.
fn parse_endpoint(value: &Yaml) -> Option<Endpoint> {
    let text = match value {
        Yaml::String(text) => text.as_str(),
        Yaml::Mapping(_) => value.get("endpoint")?.as_str()?,
        _ => return None,
    };
    let (method, path) = text.trim().split_once(char::is_whitespace)?;
    let path = path.trim();
    if method.is_empty() || !path.starts_with('/') {
        return None;
    }
    Some(Endpoint {
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
    })
}

fn read_cases(path: &Path) -> Result<BTreeMap<String, Vec<Case>>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_cases(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_cases(text: &str) -> Result<BTreeMap<String, Vec<Case>>, String> {
    let cases: BTreeMap<String, Vec<Case>> =
        serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    if let Some((key, _)) = cases.iter().find(|(_, cases)| cases.is_empty()) {
        return Err(format!("`{key}` has no cases"));
    }
    Ok(cases)
}

/// Every method has a case, and every case names a method.
fn check_coverage(
    methods: &BTreeMap<String, Endpoint>,
    cases: &BTreeMap<String, Vec<Case>>,
) -> Result<(), String> {
    let mut problems = Vec::new();
    for (key, endpoint) in methods {
        if !cases.contains_key(key) {
            problems.push(format!(
                "method `{key}` ({} {}) has no conformance case: add one to conformance/cases.yaml",
                endpoint.method, endpoint.path
            ));
        }
    }
    for key in cases.keys() {
        if !methods.contains_key(key) {
            problems.push(format!(
                "conformance/cases.yaml has cases for `{key}`, which spec/generate.yaml does not name"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The object a successful call returns: its schema name and required fields.
#[derive(Debug, Default, PartialEq, Eq)]
struct ResponseShape {
    name: String,
    required: Vec<String>,
}

fn response_schema(spec: &Yaml, endpoint: &Endpoint) -> Result<Option<ResponseShape>, String> {
    let operation = spec
        .get("paths")
        .and_then(|paths| paths.get(endpoint.path.as_str()))
        .and_then(|item| item.get(endpoint.method.to_ascii_lowercase().as_str()))
        .ok_or("spec/openapi.yaml has no such operation")?;
    let Some(responses) = operation.get("responses").and_then(Yaml::as_mapping) else {
        return Ok(None);
    };
    let success = responses
        .iter()
        .filter_map(|(code, response)| Some((yaml_key(code)?, response)))
        .filter(|(code, _)| code.starts_with('2'))
        .min_by(|a, b| a.0.cmp(&b.0));
    let Some(mut schema) = success.and_then(|(_, response)| {
        response
            .get("content")?
            .get("application/json")?
            .get("schema")
    }) else {
        return Ok(None);
    };
    let mut name = String::from("response");
    if let Some(reference) = schema.get("$ref").and_then(Yaml::as_str) {
        let target = reference
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| format!("cannot follow `{reference}`"))?;
        schema = spec
            .get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(|s| s.get(target))
            .ok_or_else(|| format!("`{reference}` points nowhere"))?;
        name = target.to_owned();
    }
    let required = schema
        .get("required")
        .and_then(Yaml::as_sequence)
        .map(|fields| {
            fields
                .iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(ResponseShape { name, required }))
}

fn yaml_key(key: &Yaml) -> Option<String> {
    match key {
        Yaml::String(text) => Some(text.clone()),
        Yaml::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Runs one case; returns what went wrong (nothing when it passed).
fn run_case(
    openai: &Path,
    base_url: &str,
    server: &Steady,
    endpoint: &Endpoint,
    response: &Option<ResponseShape>,
    case: &Case,
) -> Vec<String> {
    let mut problems = Vec::new();
    let logged_before = server.requests().len();
    let mut command = Command::new(openai);
    command
        .args(&case.args)
        .args(["--base-url", base_url, "--api-key", API_KEY])
        .args(["--debug", "--format", "json"])
        .env("NO_COLOR", "1");
    util::without_openai_env(&mut command);
    let finished = match util::output_within(&mut command, CALL_TIMEOUT) {
        Ok(finished) => finished,
        Err(e) => return vec![e],
    };

    if !finished.status.success() {
        problems.push(format!("exited with {}", finished.status));
    }

    let verdicts = header_values(&finished.stderr, VALID_HEADER);
    if verdicts.is_empty() {
        problems.push(format!(
            "no `{VALID_HEADER}` reply header in the --debug output"
        ));
    } else if verdicts.iter().any(|v| v != "true") {
        problems.push(format!(
            "Steady judged the request invalid ({VALID_HEADER}: {verdicts:?})"
        ));
    }

    let logged = server.requests_after(logged_before);
    if logged.is_empty() {
        problems.push("Steady logged no request".into());
    }
    for request in &logged {
        if request.method != endpoint.method || request.path_pattern != endpoint.path {
            problems.push(format!(
                "sent {} {} (matched {}), not {} {}",
                request.method, request.path, request.path_pattern, endpoint.method, endpoint.path
            ));
        }
        for diagnostic in &request.diagnostics {
            problems.push(format!("Steady: {diagnostic}"));
        }
    }

    if finished.status.success() {
        match serde_json::from_str::<Json>(&finished.stdout) {
            Ok(output) => {
                if let Some(shape) = response {
                    problems.extend(missing_fields(&output, shape));
                }
            }
            Err(e) => problems.push(format!("stdout is not JSON ({e}): {}", finished.stdout)),
        }
    }

    if !problems.is_empty() && !finished.stderr.is_empty() {
        problems.push(format!("stderr:\n{}", finished.stderr.trim_end()));
    }
    problems
}

fn missing_fields(output: &Json, shape: &ResponseShape) -> Vec<String> {
    let Some(object) = output.as_object() else {
        return vec![format!("stdout is not a {} object: {output}", shape.name)];
    };
    shape
        .required
        .iter()
        .filter(|field| !object.contains_key(field.as_str()))
        .map(|field| format!("stdout lacks `{field}`, which {} requires", shape.name))
        .collect()
}

/// The values of a header in `--debug` output, however it is laid out
/// (`name: value`, `"name": "value"`, any case).
fn header_values(text: &str, name: &str) -> Vec<String> {
    let name = name.to_ascii_lowercase();
    let mut values = Vec::new();
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        let Some(at) = lower.find(&name) else {
            continue;
        };
        let rest = lower[at + name.len()..].trim_start_matches(|c: char| {
            c == '"' || c == '\'' || c == ':' || c == '=' || c.is_whitespace()
        });
        let value: String = rest
            .chars()
            .take_while(|c| !(c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | ')')))
            .collect();
        values.push(value);
    }
    values
}

/// The Steady launcher under `target/conformance`, installed from the
/// committed lockfile when missing or stale.
fn install_steady() -> Result<PathBuf, String> {
    let source = util::root().join("conformance");
    let dir = util::target_dir().join("conformance");
    let manifest = read_bytes(&source.join("package.json"))?;
    let lock = read_bytes(&source.join("package-lock.json"))?;
    let launcher = dir
        .join("node_modules")
        .join(".bin")
        .join(if cfg!(windows) {
            "steady.cmd"
        } else {
            "steady"
        });
    let stamp = dir.join("installed.stamp");
    let wanted = [manifest.as_slice(), b"\n", lock.as_slice()].concat();
    if launcher.exists() && std::fs::read(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(launcher);
    }

    println!("==> installing Steady with npm ci into {}", dir.display());
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_or(true, |status| !status.success())
    {
        return Err(
            "npm is not installed: install Node.js 18+ with npm (`.ci/run` does it with apt-get)"
                .into(),
        );
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&stamp);
    write_bytes(&dir.join("package.json"), &manifest)?;
    write_bytes(&dir.join("package-lock.json"), &lock)?;
    util::run(
        Command::new(npm)
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .stdin(Stdio::null()),
    )?;
    if !launcher.exists() {
        return Err(format!("npm ci did not install {}", launcher.display()));
    }
    write_bytes(&stamp, &wanted)?;
    Ok(launcher)
}

fn steady_version() -> String {
    let manifest = util::target_dir().join("conformance/node_modules/@stdy/cli/package.json");
    std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<Json>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "(unknown version)".into())
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A running Steady, stopped by its PID when dropped.
struct Steady {
    guard: ChildGuard,
    port: u16,
    log: PathBuf,
}

/// One request as Steady's JSON log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LoggedRequest {
    method: String,
    path: String,
    path_pattern: String,
    diagnostics: Vec<String>,
}

impl Steady {
    /// Starts Steady on a free port of 127.0.0.1 and waits (bounded) until it
    /// answers; tries another port if it dies at start (the port was taken).
    fn start(launcher: &Path, spec: &Path) -> Result<Self, String> {
        let log = util::target_dir().join("conformance").join("steady.log");
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = util::free_port().map_err(|e| format!("no free port: {e}"))?;
            let out =
                File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
            let err = out
                .try_clone()
                .map_err(|e| format!("cannot share {}: {e}", log.display()))?;
            let mut command = Command::new(launcher);
            command
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--log-format", "json", "--no-color"])
                .arg(spec)
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err);
            let mut guard = ChildGuard::spawn("Steady", &mut command)?;
            let deadline = Instant::now() + STARTUP_TIMEOUT;
            loop {
                if let Some(status) = guard.exited() {
                    last_error = format!(
                        "Steady exited at start ({status}); its log:\n{}",
                        util::tail(&log, 30)
                    );
                    break;
                }
                if util::http_get_status(port, "/_x-steady/health", Duration::from_secs(2))
                    .is_ok_and(|status| status == 200)
                {
                    return Ok(Self { guard, port, log });
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "Steady did not answer within {STARTUP_TIMEOUT:?}; its log:\n{}",
                        util::tail(&log, 30)
                    ));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Err(last_error)
    }

    /// The API requests logged so far (health checks left out).
    fn requests(&self) -> Vec<LoggedRequest> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        parse_log(&text)
    }

    /// The requests logged after the first `seen`, waiting (bounded) for at least one.
    fn requests_after(&self, seen: usize) -> Vec<LoggedRequest> {
        let deadline = Instant::now() + LOG_TIMEOUT;
        loop {
            let requests = self.requests();
            if requests.len() > seen || Instant::now() >= deadline {
                return requests.into_iter().skip(seen).collect();
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

fn parse_log(text: &str) -> Vec<LoggedRequest> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .filter(|entry| entry["type"] == "request")
        .map(|entry| {
            let request = &entry["request"];
            let text = |value: &Json| value.as_str().unwrap_or_default().to_owned();
            let diagnostics = entry["diagnostics"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .map(|d| format!("{} {}", text(&d["code"]), text(&d["message"])))
                        .collect()
                })
                .unwrap_or_default();
            LoggedRequest {
                method: text(&request["method"]),
                path: text(&request["path"]),
                path_pattern: text(&request["pathPattern"]),
                diagnostics,
            }
        })
        .filter(|request| !request.path.starts_with("/_x-steady/"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(method: &str, path: &str) -> Endpoint {
        Endpoint {
            method: method.into(),
            path: path.into(),
        }
    }

    #[test]
    fn methods_include_subresources_and_read_the_endpoint() {
        let generate: Yaml = serde_yaml::from_str(
            "resources:\n  uploads:\n    methods:\n      cancel: post /uploads/{upload_id}/cancel\n      \
             create: { endpoint: 'post /uploads' }\n    subresources:\n      parts:\n        methods:\n          \
             create: post /uploads/{upload_id}/parts\n",
        )
        .unwrap();
        let methods = read_methods(&generate).unwrap();
        let keys: Vec<&str> = methods.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["uploads.cancel", "uploads.create", "uploads.parts.create"]
        );
        assert_eq!(
            methods["uploads.cancel"],
            endpoint("POST", "/uploads/{upload_id}/cancel")
        );
        assert_eq!(methods["uploads.create"], endpoint("POST", "/uploads"));
    }

    #[test]
    fn malformed_generate_yaml_is_an_error() {
        for text in [
            "{}",
            "resources: {}",
            "resources:\n  uploads:\n    methods:\n      cancel: post\n",
            "resources:\n  uploads:\n    methods:\n      cancel: [1]\n",
            "resources: [uploads]",
        ] {
            let yaml: Yaml = serde_yaml::from_str(text).unwrap();
            assert!(read_methods(&yaml).is_err(), "{text}");
        }
    }

    #[test]
    fn a_method_without_a_case_fails_and_so_does_a_stale_case() {
        let mut methods = BTreeMap::new();
        methods.insert(
            "uploads.cancel".to_owned(),
            endpoint("POST", "/uploads/{upload_id}/cancel"),
        );
        methods.insert("uploads.create".to_owned(), endpoint("POST", "/uploads"));
        let cases = parse_cases("uploads.cancel:\n  - args: [uploads, cancel, x]\n").unwrap();
        let error = check_coverage(&methods, &cases).unwrap_err();
        assert!(
            error.contains("`uploads.create` (POST /uploads) has no conformance case"),
            "{error}"
        );

        let cases = parse_cases(
            "uploads.cancel:\n  - args: [a]\nuploads.create:\n  - args: [b]\nuploads.gone:\n  - args: [c]\n",
        )
        .unwrap();
        let error = check_coverage(&methods, &cases).unwrap_err();
        assert!(error.contains("`uploads.gone`"), "{error}");
    }

    #[test]
    fn cases_must_be_well_formed() {
        assert!(parse_cases("uploads.cancel: []\n").is_err());
        assert!(parse_cases("uploads.cancel:\n  - argz: [a]\n").is_err());
        assert!(parse_cases("uploads.cancel: nope\n").is_err());
    }

    #[test]
    fn the_committed_cases_cover_the_committed_spec() {
        let root = util::root();
        let generate = read_yaml(&root.join("spec/generate.yaml")).unwrap();
        let methods = read_methods(&generate).unwrap();
        let cases = read_cases(&root.join("conformance/cases.yaml")).unwrap();
        check_coverage(&methods, &cases).unwrap();
        let spec = read_yaml(&root.join("spec/openapi.yaml")).unwrap();
        for endpoint in methods.values() {
            response_schema(&spec, endpoint).unwrap();
        }
    }

    #[test]
    fn response_shape_follows_the_ref() {
        let spec: Yaml = serde_yaml::from_str(
            "paths:\n  /a/{id}:\n    post:\n      responses:\n        '200':\n          content:\n            \
             application/json:\n              schema: { $ref: '#/components/schemas/Thing' }\n\
             components:\n  schemas:\n    Thing:\n      required: [id, status]\n",
        )
        .unwrap();
        let shape = response_schema(&spec, &endpoint("POST", "/a/{id}"))
            .unwrap()
            .unwrap();
        assert_eq!(shape.name, "Thing");
        assert_eq!(shape.required, ["id", "status"]);
        assert!(response_schema(&spec, &endpoint("GET", "/a/{id}")).is_err());

        let output: Json = serde_json::json!({"id": "x"});
        assert_eq!(
            missing_fields(&output, &shape),
            ["stdout lacks `status`, which Thing requires"]
        );
        assert_eq!(missing_fields(&serde_json::json!([1]), &shape).len(), 1);
    }

    #[test]
    fn header_values_are_found_in_any_layout() {
        let text = "> POST http://x/uploads/u/cancel\n\
                    < X-Steady-Request-Valid: true\n\
                    <   x-steady-request-valid = \"false\"\n\
                    {\"x-steady-request-valid\": \"true\"}\n\
                    < content-type: application/json\n";
        assert_eq!(header_values(text, VALID_HEADER), ["true", "false", "true"]);
        assert!(header_values("nothing here", VALID_HEADER).is_empty());
    }

    #[test]
    fn the_log_yields_requests_with_diagnostics() {
        let log = r#"{"type":"startup","spec":{}}
not json
{"type":"request","request":{"method":"GET","path":"/_x-steady/health","pathPattern":"/_x-steady/health"},"diagnostics":[]}
{"type":"request","request":{"method":"POST","path":"/uploads/u/cancel","pathPattern":"/uploads/{upload_id}/cancel"},"diagnostics":[]}
{"type":"request","request":{"method":"GET","path":"/uploads/u/cancel","pathPattern":"/uploads/u/cancel"},"diagnostics":[{"code":"E2002","message":"Method GET not allowed"}]}
"#;
        let requests = parse_log(log);
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].path_pattern, "/uploads/{upload_id}/cancel");
        assert!(requests[0].diagnostics.is_empty());
        assert_eq!(requests[1].diagnostics, ["E2002 Method GET not allowed"]);
    }
}
