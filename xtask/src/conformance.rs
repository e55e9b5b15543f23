//! `cargo xtask conformance`: the `openai` binary against Steady, a mock
//! server driven by `spec/openapi.yaml` that judges every request.
//!
//! Steady (`@stdy/cli`, pinned by `conformance/package-lock.json`) is
//! installed with `npm ci` under `target/conformance`. Every method in
//! `spec/generate.yaml` gets calls derived from the generator's IR
//! (`derive_cases`: its flags, its body on stdin, its stream); the Uploads
//! methods the hand-written commands rely on also have hand-written cases
//! in `conformance/cases.yaml`. The methods, their bodies and replies come
//! from the IR (`codegen::lower`), so the spec has one reader. The calls
//! run on [`WORKERS`] Steady servers at once, each call's requests read
//! from its own server's log.
//!
//! Steady checks each request against the schema. It logs the bodies it
//! received (`--log-bodies`), so we also check what it cannot: that a
//! multipart `format: binary` field went as a file rather than a text
//! field, that an operation without a body got none, and that the body
//! equals the case's `body`, when it gives one.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codegen::ir::{Api, BodyKind, Operation, Response, TypeDef, TypeRef};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::derive_cases;
use crate::util::{self, ChildGuard};

/// Placeholder keys: Steady does not check them, and they are no secrets.
const API_KEY: &str = "sk-conformance";
const ADMIN_API_KEY: &str = "sk-admin-conformance";
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const LOG_TIMEOUT: Duration = Duration::from_secs(10);
const VALID_HEADER: &str = "x-steady-request-valid";

/// Derived cases that cannot pass for a reason in the spec or in Steady,
/// not in the CLI: `(method, variant or "*", why)`. Keep it short.
const SKIPS: &[(&str, &str, &str)] = &[];

/// Steady servers (and so calls) at once.
const WORKERS: usize = 2;

/// A derived case left out: its method, its variant, and why.
type Skipped = (String, String, &'static str);

/// One call to run: a method, a label, and the case.
struct Job {
    key: String,
    label: String,
    case: Case,
}

/// What one call found.
struct Outcome {
    job: usize,
    problems: Vec<String>,
    shown: String,
}

pub fn run() -> Result<(), String> {
    let started = Instant::now();
    let root = util::root();
    let spec_path = root.join("spec/openapi.yaml");
    let api = read_api(&spec_path, &root.join("spec/generate.yaml"))?;
    let methods = endpoints(&api);
    let cases = read_cases(&root.join("conformance/cases.yaml"))?;
    check_coverage(&methods, &cases)?;
    let (jobs, skipped) = jobs(&api, cases)?;

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

    let dir = util::target_dir().join("conformance");
    let servers = (0..WORKERS)
        .map(|i| Steady::start(&steady, &spec_path, dir.join(format!("steady-{i}.log"))))
        .collect::<Result<Vec<_>, _>>()?;
    for server in &servers {
        println!(
            "==> Steady {} is serving on 127.0.0.1:{} (pid {})",
            steady_version(),
            server.port,
            server.guard.id()
        );
    }
    println!(
        "==> {} methods, {} calls ({} skipped: see SKIPS in xtask/src/conformance.rs)",
        methods.len(),
        jobs.len(),
        skipped.len()
    );
    let openai = util::debug_bin("openai");
    let outcomes = run_jobs(&openai, &servers, &methods, &jobs);
    let failed = outcomes.iter().filter(|o| !o.problems.is_empty()).count();
    let (mut passed, mut failed) = (outcomes.len() - failed, failed);
    for outcome in outcomes.iter().filter(|o| !o.problems.is_empty()) {
        let job = &jobs[outcome.job];
        println!("  FAIL  {} [{}]: {}", job.key, job.label, outcome.shown);
        for problem in &outcome.problems {
            println!("        {}", problem.replace('\n', "\n        "));
        }
    }
    // The official CLI's own uploads tests, unchanged, against the same Steady.
    let (official_passed, official_failed) = crate::official::run(&openai, servers[0].port)?;
    (passed, failed) = (passed + official_passed, failed + official_failed);
    for server in servers {
        let pid = server.guard.id();
        let log = server.log.clone();
        server.guard.stop();
        println!(
            "==> stopped Steady (pid {pid}); its log is {}",
            log.display()
        );
    }
    for (key, label, why) in &skipped {
        println!("  skip  {key} [{label}]: {why}");
    }
    println!(
        "conformance: {} methods, {} calls: {passed} passed, {failed} failed, {} skipped, in {:.0?}",
        methods.len(),
        passed + failed,
        skipped.len(),
        started.elapsed()
    );
    if failed > 0 {
        return Err(format!("{failed} conformance case(s) failed"));
    }
    Ok(())
}

/// The calls to make: the hand-written cases of `conformance/cases.yaml`,
/// then those derived from the IR for every method, less [`SKIPS`] (also
/// returned, with their reasons).
fn jobs(api: &Api, cases: BTreeMap<String, Vec<Case>>) -> Result<(Vec<Job>, Vec<Skipped>), String> {
    let mut jobs = Vec::new();
    for (key, list) in cases {
        for (index, case) in list.into_iter().enumerate() {
            jobs.push(Job {
                key: key.clone(),
                label: format!("case {}", index + 1),
                case,
            });
        }
    }
    let mut skipped = Vec::new();
    let mut used = vec![false; SKIPS.len()];
    for op in api.operations() {
        for (variant, case) in derive_cases::cases(api, op) {
            let label = variant.label();
            let skip = SKIPS
                .iter()
                .position(|(key, which, _)| *key == op.key && (*which == "*" || *which == label));
            if let Some(at) = skip {
                used[at] = true;
                skipped.push((op.key.clone(), label.to_owned(), SKIPS[at].2));
                continue;
            }
            jobs.push(Job {
                key: op.key.clone(),
                label: label.to_owned(),
                case,
            });
        }
    }
    if let Some(at) = used.iter().position(|used| !used) {
        return Err(format!(
            "SKIPS names `{}` [{}], which is no derived case: remove it",
            SKIPS[at].0, SKIPS[at].1
        ));
    }
    Ok((jobs, skipped))
}

/// Runs every job, one worker thread per Steady; prints a line per call.
fn run_jobs(
    openai: &Path,
    servers: &[Steady],
    methods: &BTreeMap<String, Endpoint>,
    jobs: &[Job],
) -> Vec<Outcome> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let outcomes = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for server in servers {
            let (next, outcomes) = (&next, &outcomes);
            scope.spawn(move || {
                let base_url = format!("http://127.0.0.1:{}", server.port);
                let mut cursor = server.cursor();
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else { break };
                    let dir = util::target_dir().join("conformance/cases").join(format!(
                        "{}-{}",
                        job.key,
                        job.label.replace(' ', "-")
                    ));
                    let endpoint = &methods[&job.key];
                    let (problems, shown) = match job.case.materialize(&dir) {
                        Ok(args) => {
                            let shown = shown(&args, job.case.stdin.as_deref());
                            let problems = run_case(
                                openai,
                                &args,
                                &base_url,
                                &mut cursor,
                                endpoint,
                                &job.case,
                            );
                            (problems, shown)
                        }
                        Err(e) => (vec![e], job.case.args.join(" ")),
                    };
                    let mark = if problems.is_empty() { "ok  " } else { "FAIL" };
                    println!("  {mark}  {} [{}]: {shown}", job.key, job.label);
                    outcomes
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(Outcome {
                            job: index,
                            problems,
                            shown,
                        });
                }
            });
        }
    });
    let mut outcomes = outcomes
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    outcomes.sort_by_key(|o| o.job);
    outcomes
}

/// A call as a shell would take it.
fn shown(args: &[String], stdin: Option<&str>) -> String {
    let quote = |arg: &String| {
        if !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:/=@,+".contains(c))
        {
            arg.clone()
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    let mut line = format!(
        "openai {}",
        args.iter().map(quote).collect::<Vec<_>>().join(" ")
    );
    if stdin.is_some() {
        line.push_str(" < stdin");
    }
    line
}

/// One method of `generate.yaml`, as the generator lowered it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    /// `POST`.
    method: String,
    /// `/uploads/{upload_id}/cancel` (`/responses?beta=true`).
    path: String,
    request: RequestShape,
    response: Option<ResponseShape>,
    stdout: Stdout,
}

/// What a successful call prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stdout {
    /// One JSON value: the reply.
    Reply,
    /// JSON values one after another: the items of a list, or events.
    Values,
    /// Whatever the reply is (a file, text, nothing).
    Any,
}

/// One call of the `openai` binary; see `conformance/cases.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Case {
    pub(crate) args: Vec<String>,
    /// Piped to the command's stdin (otherwise stdin is `/dev/null`).
    #[serde(default)]
    pub(crate) stdin: Option<String>,
    /// Small files written for the case, by name; `{file:NAME}` in `args`
    /// becomes the file's path.
    #[serde(default)]
    pub(crate) files: BTreeMap<String, String>,
    /// The request body Steady must have received (numbers compared by
    /// value: `1` is `1.0`).
    #[serde(default)]
    pub(crate) body: Option<Json>,
}

const FILE_REF: &str = "{file:";

impl Case {
    /// Checks what can be checked without running anything.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.args.is_empty() {
            return Err("a case has no `args`".into());
        }
        for name in self.files.keys() {
            if name.is_empty()
                || name == "."
                || name == ".."
                || name.contains(['/', '\\', '{', '}'])
            {
                return Err(format!("`{name}` is not a plain file name"));
            }
        }
        let mut used = std::collections::BTreeSet::new();
        for arg in &self.args {
            for name in file_refs(arg)? {
                if !self.files.contains_key(name) {
                    return Err(format!(
                        "`{arg}` names `{name}`, which the case's `files` lacks"
                    ));
                }
                used.insert(name);
            }
        }
        if let Some(unused) = self.files.keys().find(|name| !used.contains(name.as_str())) {
            return Err(format!("file `{unused}` is never named in `args`"));
        }
        Ok(())
    }

    /// Writes the case's files under `dir` (emptied first) and returns the
    /// arguments with each `{file:NAME}` replaced by that file's path.
    fn materialize(&self, dir: &Path) -> Result<Vec<String>, String> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("cannot empty {}: {e}", dir.display()))?;
        }
        if !self.files.is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        for (name, contents) in &self.files {
            write_bytes(&dir.join(name), contents.as_bytes())?;
        }
        Ok(self
            .args
            .iter()
            .map(|arg| substitute_files(arg, dir))
            .collect())
    }
}

/// The names in an argument's `{file:NAME}` references.
fn file_refs(arg: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = arg;
    while let Some(at) = rest.find(FILE_REF) {
        let after = &rest[at + FILE_REF.len()..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{arg}` has an unclosed `{FILE_REF}`"))?;
        names.push(&after[..end]);
        rest = &after[end + 1..];
    }
    Ok(names)
}

fn substitute_files(arg: &str, dir: &Path) -> String {
    let mut out = String::new();
    let mut rest = arg;
    while let Some(at) = rest.find(FILE_REF) {
        let after = &rest[at + FILE_REF.len()..];
        let Some(end) = after.find('}') else {
            break;
        };
        out.push_str(&rest[..at]);
        out.push_str(&dir.join(&after[..end]).to_string_lossy());
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The generator's IR of the spec: the one reading of it.
fn read_api(spec: &Path, config: &Path) -> Result<Api, String> {
    let read =
        |path: &Path| std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()));
    let api = codegen::lower(&read(spec)?, &read(config)?)
        .map_err(|e| format!("spec/openapi.yaml or spec/generate.yaml: {e}"))?;
    if api.operations().next().is_none() {
        return Err("spec/generate.yaml names no methods".into());
    }
    Ok(api)
}

/// Every method of `generate.yaml`, keyed `resource[.subresource].method`,
/// from the generator's IR.
#[cfg(test)]
fn read_methods(spec: &Path, config: &Path) -> Result<BTreeMap<String, Endpoint>, String> {
    read_api(spec, config).map(|api| endpoints(&api))
}

fn endpoints(api: &Api) -> BTreeMap<String, Endpoint> {
    api.operations()
        .map(|op| {
            let endpoint = Endpoint {
                method: op.method.constant().to_owned(),
                // As Steady matches it: with the query the path key carries.
                path: if op.fixed_query.is_empty() {
                    op.path.clone()
                } else {
                    let pairs: Vec<String> = op
                        .fixed_query
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    format!("{}?{}", op.path, pairs.join("&"))
                },
                request: request_shape(api, op),
                response: response_shape(api, op),
                stdout: match (&op.response, &op.paging, &op.stream) {
                    (Response::Json(_), Some(_), _) => Stdout::Values,
                    (Response::Json(_), _, Some(stream)) if stream.switch.is_none() => {
                        Stdout::Values
                    }
                    (Response::Json(_), _, _) => Stdout::Reply,
                    _ => Stdout::Any,
                },
            };
            (op.key.clone(), endpoint)
        })
        .collect()
}

fn read_cases(path: &Path) -> Result<BTreeMap<String, Vec<Case>>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_cases(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_cases(text: &str) -> Result<BTreeMap<String, Vec<Case>>, String> {
    let cases: BTreeMap<String, Vec<Case>> =
        serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    for (key, list) in &cases {
        if list.is_empty() {
            return Err(format!("`{key}` has no cases"));
        }
        for (index, case) in list.iter().enumerate() {
            case.check()
                .map_err(|e| format!("`{key}` case {}: {e}", index + 1))?;
        }
    }
    Ok(cases)
}

/// Every method has a case, and every case names a method.
fn check_coverage(
    methods: &BTreeMap<String, Endpoint>,
    cases: &BTreeMap<String, Vec<Case>>,
) -> Result<(), String> {
    let mut problems = Vec::new();
    // Every hand-written command's method keeps its cases; the methods of
    // the whole API without one are judged by the official CLI's suite
    // (`cargo xtask official-suite`), which needs OpenAI's document.
    for key in [
        "uploads.cancel",
        "uploads.complete",
        "uploads.create",
        "uploads.parts.create",
    ] {
        if methods.contains_key(key) && !cases.contains_key(key) {
            problems.push(format!(
                "method `{key}` has no conformance case: add one to conformance/cases.yaml"
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ResponseShape {
    name: String,
    required: Vec<String>,
}

/// What an operation accepts as a request body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RequestShape {
    /// `requestBody.required`.
    required: bool,
    /// The body's media types; empty when the operation takes no body.
    media_types: Vec<String>,
    /// Multipart fields that must be files (`format: binary`).
    file_fields: Vec<String>,
}

fn request_shape(api: &Api, op: &Operation) -> RequestShape {
    let Some(body) = &op.body else {
        return RequestShape::default();
    };
    let (media_type, file_fields) = match body.kind {
        BodyKind::Json => ("application/json", Vec::new()),
        BodyKind::Multipart => {
            let files = match api.types.get(&body.type_name) {
                Some(TypeDef::Struct(def)) => def
                    .fields
                    .iter()
                    .filter(|f| *f.ty.non_null() == TypeRef::Binary)
                    .map(|f| f.api_name.clone())
                    .collect(),
                _ => Vec::new(),
            };
            ("multipart/form-data", files)
        }
    };
    RequestShape {
        required: body.required,
        media_types: vec![media_type.to_owned()],
        file_fields,
    }
}

/// The object a successful call returns, when it is a named object.
fn response_shape(api: &Api, op: &Operation) -> Option<ResponseShape> {
    let Response::Json(TypeRef::Named(name)) = &op.response else {
        return None;
    };
    let Some(TypeDef::Struct(def)) = api.types.get(name) else {
        return None;
    };
    Some(ResponseShape {
        name: name.clone(),
        required: def
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.api_name.clone())
            .collect(),
    })
}

/// What is wrong with the body Steady logged for one request.
fn body_problems(
    logged: Option<&Json>,
    shape: &RequestShape,
    expected: Option<&Json>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let logged = logged.filter(|body| !body.is_null());
    match logged {
        Some(body) if shape.media_types.is_empty() => {
            problems.push(format!("sent a body, but the operation takes none: {body}"));
        }
        None if shape.required => problems.push(format!(
            "sent no body, but the operation requires one ({})",
            shape.media_types.join(" or ")
        )),
        _ => {}
    }
    if let Some(body) = logged {
        for field in &shape.file_fields {
            // Steady logs a file part as "[File]" and a text part as its text.
            if let Some(value) = body.get(field)
                && value != "[File]"
            {
                problems.push(format!(
                    "multipart field `{field}` was sent as a text field ({value}), not as a file"
                ));
            }
        }
    }
    if let Some(expected) = expected
        && !logged.is_some_and(|logged| same_json(logged, expected))
    {
        let shown = logged.map_or_else(|| "no body".to_owned(), Json::to_string);
        problems.push(format!("sent {shown}, but the case expects {expected}"));
    }
    problems
}

/// Runs one case with `args` (its own, files substituted); returns what
/// went wrong (nothing when it passed), with what it takes to see why.
fn run_case(
    openai: &Path,
    args: &[String],
    base_url: &str,
    cursor: &mut LogCursor,
    endpoint: &Endpoint,
    case: &Case,
) -> Vec<String> {
    let mut problems = Vec::new();
    // Whatever an earlier call left in the log is not this call's.
    cursor.skip_to_end();
    let mut command = Command::new(openai);
    command
        .args(args)
        .args(["--base-url", base_url, "--api-key", API_KEY])
        .args(["--admin-api-key", ADMIN_API_KEY])
        .args(["--debug", "--format", "json"])
        .env("NO_COLOR", "1");
    util::without_openai_env(&mut command);
    let stdin = case.stdin.as_deref().map(str::as_bytes);
    let finished = match util::output_with_input(&mut command, stdin, CALL_TIMEOUT) {
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

    // One log entry per reply Steady sent (a list may take several pages).
    let logged = cursor.read_at_least(verdicts.len().max(1));
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
        problems.extend(body_problems(
            request.body.as_ref(),
            &endpoint.request,
            case.body.as_ref(),
        ));
    }

    if finished.status.success() {
        let streamed = args
            .windows(2)
            .any(|pair| pair[0] == "--stream" && pair[1] == "true");
        let stdout = if streamed {
            Stdout::Values
        } else {
            endpoint.stdout
        };
        problems.extend(stdout_problems(&finished.stdout, stdout, endpoint));
    }

    if !problems.is_empty() {
        if let Some(stdin) = &case.stdin {
            problems.push(format!("stdin:\n{}", stdin.trim_end()));
        }
        if finished.status.success() {
            problems.push(format!("exited with {}", finished.status));
        }
        if !finished.stderr.is_empty() {
            problems.push(format!("stderr:\n{}", finished.stderr.trim_end()));
        }
    }
    problems
}

/// What is wrong with what a successful call printed.
fn stdout_problems(stdout: &str, expected: Stdout, endpoint: &Endpoint) -> Vec<String> {
    match expected {
        Stdout::Any => Vec::new(),
        Stdout::Reply => match serde_json::from_str::<Json>(stdout) {
            Ok(output) => endpoint
                .response
                .as_ref()
                .map(|shape| missing_fields(&output, shape))
                .unwrap_or_default(),
            Err(e) => vec![format!("stdout is not JSON ({e}): {stdout}")],
        },
        Stdout::Values => serde_json::Deserializer::from_str(stdout)
            .into_iter::<Json>()
            .find_map(Result::err)
            .map(|e| vec![format!("stdout is not JSON values ({e}): {stdout}")])
            .unwrap_or_default(),
    }
}

/// Whether two JSON values are the same, numbers compared by value.
fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| same_json(x, y)))
        }
        _ => a == b,
    }
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
pub(crate) fn install_steady() -> Result<PathBuf, String> {
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

pub(crate) fn steady_version() -> String {
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
pub(crate) struct Steady {
    pub(crate) guard: ChildGuard,
    pub(crate) port: u16,
    pub(crate) log: PathBuf,
}

/// One request as Steady's JSON log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LoggedRequest {
    method: String,
    path: String,
    path_pattern: String,
    diagnostics: Vec<String>,
    /// The body as Steady logged it: JSON as sent; multipart as an object
    /// of fields, a file field as `"[File]"`.
    body: Option<Json>,
}

impl Steady {
    /// Starts Steady on a free port of 127.0.0.1, logging to `log`, and waits
    /// (bounded) until it answers; tries another port if it dies at start
    /// (the port was taken).
    pub(crate) fn start(launcher: &Path, spec: &Path, log: PathBuf) -> Result<Self, String> {
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
                .args(["--log-format", "json", "--log-bodies", "--no-color"])
                // How OpenAI's API reads lists and objects in queries and
                // forms, and how the official CLI's own tests run Steady.
                .args([
                    "--validator-query-array-format=brackets",
                    "--validator-query-object-format=brackets",
                    "--validator-form-array-format=brackets",
                    "--validator-form-object-format=brackets",
                ])
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

    /// A reader of this server's log from its current end.
    fn cursor(&self) -> LogCursor {
        let mut cursor = LogCursor {
            log: self.log.clone(),
            offset: 0,
        };
        cursor.skip_to_end();
        cursor
    }
}

/// Reads a Steady log from where it left off, whole lines only.
struct LogCursor {
    log: PathBuf,
    offset: u64,
}

impl LogCursor {
    /// The whole lines written since the last read.
    fn read_new(&mut self) -> String {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut file) = File::open(&self.log) else {
            return String::new();
        };
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(self.offset)).is_err() || file.read_to_end(&mut bytes).is_err()
        {
            return String::new();
        }
        let whole = bytes
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |at| at + 1);
        self.offset += whole as u64;
        String::from_utf8_lossy(&bytes[..whole]).into_owned()
    }

    /// Forgets what is in the log so far.
    fn skip_to_end(&mut self) {
        self.read_new();
    }

    /// The API requests logged from here, waiting (bounded) until there
    /// are at least `count`.
    fn read_at_least(&mut self, count: usize) -> Vec<LoggedRequest> {
        let deadline = Instant::now() + LOG_TIMEOUT;
        let mut requests = Vec::new();
        loop {
            requests.extend(parse_log(&self.read_new()));
            if requests.len() >= count || Instant::now() >= deadline {
                return requests;
            }
            std::thread::sleep(Duration::from_millis(10));
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
                body: request.get("body").cloned(),
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
            request: RequestShape::default(),
            response: None,
            stdout: Stdout::Reply,
        }
    }

    /// The endpoints the generator makes of `spec` and `config`.
    fn lowered(spec: &str, config: &str) -> BTreeMap<String, Endpoint> {
        endpoints(&codegen::lower(spec, config).unwrap())
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
            error.contains("`uploads.create` has no conformance case"),
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
        let methods = read_methods(
            &root.join("spec/openapi.yaml"),
            &root.join("spec/generate.yaml"),
        )
        .unwrap();
        let cases = read_cases(&root.join("conformance/cases.yaml")).unwrap();
        check_coverage(&methods, &cases).unwrap();
        assert_eq!(methods.len(), 288);
        let cancel = &methods["uploads.cancel"];
        assert_eq!(
            (cancel.method.as_str(), cancel.path.as_str()),
            ("POST", "/uploads/{upload_id}/cancel")
        );
        assert!(
            cancel
                .response
                .as_ref()
                .unwrap()
                .required
                .contains(&"status".to_owned())
        );
    }

    #[test]
    fn case_files_must_be_named_and_used() {
        let ok = parse_cases(
            "uploads.parts.create:\n  - files: {a.bin: hello}\n    args: [x, '--data={file:a.bin}']\n",
        )
        .unwrap();
        assert_eq!(ok["uploads.parts.create"][0].files["a.bin"], "hello");
        for (text, needle) in [
            ("k:\n  - args: ['{file:b}']\n", "lacks"),
            ("k:\n  - args: ['{file:b']\n    files: {b: x}\n", "unclosed"),
            ("k:\n  - args: [a]\n    files: {b: x}\n", "never named"),
            (
                "k:\n  - args: ['{file:../b}']\n    files: {../b: x}\n",
                "plain file name",
            ),
            (
                "k:\n  - args: ['{file:}']\n    files: {'': x}\n",
                "plain file name",
            ),
            ("k:\n  - args: []\n", "no `args`"),
            (
                "k:\n  - args: [a]\n    body: {x: 1}\n    stdin: '{}'\n    extra: 1\n",
                "extra",
            ),
        ] {
            let error = parse_cases(text).unwrap_err();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn materialize_writes_files_and_substitutes_paths() {
        let case = parse_cases(
            "k:\n  - files: {a.bin: hello, b.txt: ''}\n    args: [p, '{file:a.bin}', '--x={file:b.txt}!', '{plain}']\n",
        )
        .unwrap()
        .remove("k")
        .unwrap()
        .remove(0);
        let dir = util::target_dir().join(format!("conformance/unit-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("stale")).unwrap();
        let args = case.materialize(&dir).unwrap();
        let a = dir.join("a.bin");
        let b = dir.join("b.txt");
        assert_eq!(
            args,
            [
                "p".to_owned(),
                a.display().to_string(),
                format!("--x={}!", b.display()),
                "{plain}".to_owned(),
            ]
        );
        assert_eq!(std::fs::read(&a).unwrap(), b"hello");
        assert_eq!(std::fs::read(&b).unwrap(), b"");
        assert!(!dir.join("stale").exists(), "the case dir was not emptied");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    const SHAPES_SPEC: &str = "\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /uploads:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: '#/components/schemas/Create' }
      responses:
        '200': {description: OK, content: {application/json: {schema: { $ref: '#/components/schemas/Thing' }}}}
  /uploads/{id}/parts:
    post:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema: { $ref: '#/components/schemas/Part' }
      responses:
        '200': {description: OK, content: {application/json: {schema: {type: array, items: {type: string}}}}}
  /uploads/{id}/cancel:
    post:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200': {description: OK, content: {application/json: {schema: { $ref: '#/components/schemas/Thing' }}}}
components:
  schemas:
    Create:
      properties: { bytes: { type: integer } }
    Part:
      properties:
        data: { type: string, format: binary }
        note: { type: string }
    Thing:
      properties: { id: {type: string}, status: {type: string}, note: {type: string} }
      required: [id, status]
";

    const SHAPES_CONFIG: &str = "\
resources:
  uploads:
    methods:
      create: post /uploads
      cancel: post /uploads/{id}/cancel
    subresources:
      parts:
        methods:
          create: post /uploads/{id}/parts
";

    #[test]
    fn shapes_come_from_the_generators_ir() {
        let methods = lowered(SHAPES_SPEC, SHAPES_CONFIG);
        let keys: Vec<&str> = methods.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["uploads.cancel", "uploads.create", "uploads.parts.create"]
        );
        let create = &methods["uploads.create"];
        assert_eq!(
            (create.method.as_str(), create.path.as_str()),
            ("POST", "/uploads")
        );
        assert_eq!(
            create.request,
            RequestShape {
                required: true,
                media_types: vec!["application/json".into()],
                file_fields: vec![],
            }
        );
        let part = &methods["uploads.parts.create"];
        assert_eq!(part.request.media_types, ["multipart/form-data"]);
        assert_eq!(part.request.file_fields, ["data"]);
        assert_eq!(part.response, None, "an array is not an object");
        let cancel = &methods["uploads.cancel"];
        assert_eq!(cancel.request, RequestShape::default());
        assert_eq!(
            cancel.response,
            Some(ResponseShape {
                name: "Thing".into(),
                required: vec!["id".into(), "status".into()],
            })
        );
    }

    #[test]
    fn a_form_the_generator_rejects_is_rejected_here_too() {
        let root = util::target_dir().join(format!("conformance-unit-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let spec = root.join("openapi.yaml");
        let config = root.join("generate.yaml");
        std::fs::write(&spec, SHAPES_SPEC).unwrap();
        std::fs::write(
            &config,
            "resources:\n  uploads:\n    methods:\n      create: { endpoint: 'post /uploads' }\n",
        )
        .unwrap();
        let error = read_methods(&spec, &config).unwrap_err();
        assert!(error.contains("generate.yaml"), "{error}");
        std::fs::write(&config, SHAPES_CONFIG).unwrap();
        assert!(read_methods(&spec, &config).is_ok());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn logged_bodies_are_checked_against_the_shape_and_the_case() {
        let part = lowered(SHAPES_SPEC, SHAPES_CONFIG)["uploads.parts.create"]
            .request
            .clone();
        let cancel = RequestShape::default();
        let file = serde_json::json!({"data": "[File]"});
        let text = serde_json::json!({"data": "hello"});

        assert!(body_problems(Some(&file), &part, Some(&file)).is_empty());
        assert!(body_problems(Some(&file), &part, None).is_empty());
        let problems = body_problems(Some(&text), &part, None);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("`data` was sent as a text field"),
            "{problems:?}"
        );
        let problems = body_problems(None, &part, None);
        assert!(
            problems[0].contains("requires one (multipart/form-data)"),
            "{problems:?}"
        );

        assert!(body_problems(None, &cancel, None).is_empty());
        assert!(body_problems(Some(&Json::Null), &cancel, None).is_empty());
        let problems = body_problems(Some(&text), &cancel, None);
        assert!(problems[0].contains("takes none"), "{problems:?}");

        let expected = serde_json::json!({"data": "[File]", "note": "x"});
        let problems = body_problems(Some(&file), &part, Some(&expected));
        assert_eq!(
            problems,
            [r#"sent {"data":"[File]"}, but the case expects {"data":"[File]","note":"x"}"#]
        );
        let problems = body_problems(None, &cancel, Some(&expected));
        assert!(problems[0].starts_with("sent no body"), "{problems:?}");
    }

    #[test]
    fn numbers_compare_by_value_and_stdout_by_kind() {
        let sent = serde_json::json!({"n": 1, "list": [2.5, {"x": 3}]});
        let expected = serde_json::json!({"list": [2.5, {"x": 3.0}], "n": 1.0});
        assert!(same_json(&sent, &expected));
        assert!(!same_json(&sent, &serde_json::json!({"n": 1})));
        assert!(!same_json(&serde_json::json!("1"), &serde_json::json!(1)));

        let plain = endpoint("GET", "/x");
        assert!(stdout_problems("{\"a\": 1}", Stdout::Reply, &plain).is_empty());
        assert_eq!(stdout_problems("{}\n{}", Stdout::Reply, &plain).len(), 1);
        assert!(stdout_problems("{}\n[1]\n\"x\"", Stdout::Values, &plain).is_empty());
        assert!(stdout_problems("", Stdout::Values, &plain).is_empty());
        assert_eq!(stdout_problems("{} nope", Stdout::Values, &plain).len(), 1);
        assert!(stdout_problems("\u{0}binary", Stdout::Any, &plain).is_empty());
    }

    #[test]
    fn a_call_is_shown_as_a_shell_takes_it() {
        let args = [
            "uploads".to_owned(),
            "create".into(),
            "--name".into(),
            "it's x".into(),
        ];
        assert_eq!(
            shown(&args, Some("{}")),
            "openai uploads create --name 'it'\\''s x' < stdin"
        );
    }

    #[test]
    fn missing_fields_are_named() {
        let shape = ResponseShape {
            name: "Thing".into(),
            required: vec!["id".into(), "status".into()],
        };
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
{"type":"request","request":{"method":"POST","path":"/uploads/u/parts","pathPattern":"/uploads/{upload_id}/parts","body":{"data":"[File]"}},"diagnostics":[]}
{"type":"request","request":{"method":"GET","path":"/uploads/u/cancel","pathPattern":"/uploads/u/cancel"},"diagnostics":[{"code":"E2002","message":"Method GET not allowed"}]}
"#;
        let requests = parse_log(log);
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].path_pattern, "/uploads/{upload_id}/cancel");
        assert!(requests[0].diagnostics.is_empty());
        assert_eq!(requests[0].body, None);
        assert_eq!(
            requests[1].body,
            Some(serde_json::json!({"data": "[File]"}))
        );
        assert_eq!(requests[2].diagnostics, ["E2002 Method GET not allowed"]);
    }
}
