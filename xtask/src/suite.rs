//! `cargo xtask official-suite REPO_DIR`: every mock-server test of the official
//! openai CLI, run against Steady with our `openai`, as its own harness runs them.
//!
//! The tests are read from the checkout at run time (nothing of them is kept here):
//! `pkg/cmd/*_test.go` call `mocktest.TestRunMockTestWithFlags(t, ARGS...)` or
//! `mocktest.TestRunMockTestWithPipeAndFlags(t, pipeData, ARGS...)`, and the harness
//! (`internal/mocktest`) runs `openai --base-url MOCK ARGS` with `pipeData` (or nothing)
//! on a stdin pipe; a test passes when the exit status is 0. The arguments are Go
//! expressions, so [`parse_go`] evaluates the few forms those files use: string
//! literals, `+`, constants and local variables, `strings.ReplaceAll`, `[]byte(...)`
//! and `mocktest.TestFile(t, TEXT)`, the path of a fresh temporary `file.txt`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::conformance::{Steady, install_steady, steady_version};
use crate::util;

const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Of stderr, blank lines left out; of stdin, in a failure's report.
const STDERR_LINES: usize = 12;
const STDIN_LINES: usize = 6;
/// Some tests pass `--output /dev/null`: a CLI that replaced the file there would break
/// the machine, so the runner checks it and says so loudly.
const DEV_NULL_BROKEN: &str = "/dev/null IS NOT A CHARACTER DEVICE: restore it (as root: rm /dev/null; mknod -m 666 /dev/null c 1 3)";
const USAGE: &str =
    "usage: cargo xtask official-suite REPO_DIR [--steady-spec PATH] [--filter SUBSTR]";

pub fn run(args: &[&str]) -> Result<(), String> {
    let mut repo = None;
    let mut spec = None;
    let mut filter = None;
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        match arg {
            "--steady-spec" => spec = Some(PathBuf::from(value(rest.next(), arg)?)),
            "--filter" => filter = Some(value(rest.next(), arg)?.to_owned()),
            _ if arg.starts_with('-') => return Err(format!("unknown option `{arg}`\n{USAGE}")),
            _ if repo.is_none() => repo = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument `{arg}`\n{USAGE}")),
        }
    }
    let repo = repo.ok_or(USAGE)?;
    let spec = spec.unwrap_or_else(|| util::root().join("../shared/reference/openai-openapi.yaml"));
    let spec = match std::fs::canonicalize(&spec) {
        Ok(spec) if spec.is_file() => spec,
        _ => {
            return Err(format!(
                "no OpenAPI document at {}: give one with --steady-spec PATH",
                spec.display()
            ));
        }
    };

    let sources = read_sources(&repo)?;
    let mut invocations = Vec::new();
    let mut unreadable = Vec::new();
    let consts = package_consts(&sources);
    let mut files = 0;
    for (name, text) in &sources {
        if !text.contains("mocktest.TestRunMockTest") {
            continue;
        }
        match parse_go(name, text, &consts, &mut files) {
            Ok(parsed) => {
                invocations.extend(parsed.invocations);
                unreadable.extend(parsed.problems);
            }
            Err(e) => unreadable.push(e),
        }
    }
    println!(
        "==> {} mock-server invocations in {} test files of {}",
        invocations.len(),
        sources.len(),
        repo.display()
    );
    for problem in &unreadable {
        println!("  cannot read: {problem}");
    }
    if let Some(filter) = &filter {
        invocations.retain(|inv| inv.describe().contains(filter.as_str()));
        println!("==> {} of them match `{filter}`", invocations.len());
        if invocations.is_empty() {
            return Err(format!("no invocation matches `{filter}`"));
        }
    }

    println!("==> building openai");
    util::run(&mut util::cargo(["build", "--quiet", "-p", "openai-cli"]))?;
    let launcher = install_steady()?;
    let dir = util::target_dir().join("official-suite");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let server = Steady::start(&launcher, &spec, dir.join("steady.log"))?;
    println!(
        "==> Steady {} serving {} on 127.0.0.1:{} (pid {}, log {})",
        steady_version(),
        spec.display(),
        server.port,
        server.guard.id(),
        server.log.display()
    );
    let base_url = format!("http://127.0.0.1:{}", server.port);
    let openai = util::debug_bin("openai");

    let null_was_fine = dev_null_is_intact();
    let mut results = Vec::new();
    for (index, inv) in invocations.iter().enumerate() {
        if index % 50 == 0 {
            println!("  [{index}/{}] {}", invocations.len(), inv.resource);
        }
        let outcome = run_one(&openai, &base_url, inv);
        if null_was_fine && inv.writes_dev_null() && !dev_null_is_intact() {
            server.guard.stop();
            return Err(format!(
                "{}\nSTOPPED after `{}`:\n{DEV_NULL_BROKEN}",
                "!".repeat(72),
                inv.describe()
            ));
        }
        results.push(outcome);
    }
    server.guard.stop();

    let failed = report(&invocations, &results);
    if !dev_null_is_intact() {
        eprintln!("{}", "!".repeat(72));
        eprintln!("xtask: {DEV_NULL_BROKEN}");
        eprintln!("{}", "!".repeat(72));
        return Err("/dev/null is not a character device".into());
    }
    if failed > 0 || !unreadable.is_empty() {
        return Err(format!(
            "{failed} invocation(s) failed, {} could not be read",
            unreadable.len()
        ));
    }
    Ok(())
}

fn value<'a>(next: Option<&&'a str>, option: &str) -> Result<&'a str, String> {
    next.copied()
        .ok_or_else(|| format!("{option} needs a value\n{USAGE}"))
}

/// `pkg/cmd/*_test.go` of a work tree or of a git directory (its `HEAD`), by file name.
fn read_sources(repo: &Path) -> Result<BTreeMap<String, String>, String> {
    let harness = "internal/mocktest/mocktest.go";
    let mut sources = BTreeMap::new();
    let harness_text = if repo.join("pkg/cmd").is_dir() {
        let dir = repo.join("pkg/cmd");
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with("_test.go") {
                sources.insert(name, read(&entry.path())?);
            }
        }
        read(&repo.join(harness))?
    } else {
        let git = |args: &[&str]| -> Result<String, String> {
            let mut command = Command::new("git");
            command.arg("--git-dir").arg(repo).args(args);
            let done = util::output_within(&mut command, CALL_TIMEOUT)?;
            if done.status.success() {
                Ok(done.stdout)
            } else {
                Err(format!(
                    "{} is neither an openai-cli work tree (no pkg/cmd/) nor a git directory: `{}`: {}",
                    repo.display(),
                    util::show(&command),
                    done.stderr.trim()
                ))
            }
        };
        for path in git(&["ls-tree", "--name-only", "HEAD", "pkg/cmd/"])?.lines() {
            if let Some(name) = path.strip_prefix("pkg/cmd/")
                && name.ends_with("_test.go")
            {
                sources.insert(name.to_owned(), git(&["show", &format!("HEAD:{path}")])?);
            }
        }
        git(&["show", &format!("HEAD:{harness}")])?
    };
    // What this runner mirrors; if the harness changed, its results would mislead.
    for needed in [
        "func TestRunMockTestWithPipeAndFlags(",
        "func TestFile(",
        "\"--base-url\"",
        "bytes.NewReader(pipeData)",
    ] {
        if !harness_text.contains(needed) {
            return Err(format!(
                "{harness} no longer has `{needed}`: the official harness changed, update xtask/src/suite.rs"
            ));
        }
    }
    if sources.is_empty() {
        return Err(format!("{} has no pkg/cmd/*_test.go", repo.display()));
    }
    Ok(sources)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

// ---- Running ----

struct Outcome {
    /// `Err` when it could not run or did not finish.
    exit: Result<Option<i32>, String>,
    stderr: String,
}

impl Outcome {
    fn passed(&self) -> bool {
        matches!(self.exit, Ok(Some(0)))
    }
}

/// One invocation in a fresh temporary directory (its working directory, and where its
/// test files are written), with its stdin on a pipe.
fn run_one(openai: &Path, base_url: &str, inv: &Invocation) -> Outcome {
    let failed = |exit: String| Outcome {
        exit: Err(exit),
        stderr: String::new(),
    };
    let dir = match tempfile::Builder::new().prefix("official-suite-").tempdir() {
        Ok(dir) => dir,
        Err(e) => return failed(format!("no temporary directory: {e}")),
    };
    let mut paths = HashMap::new();
    for piece in inv.args.iter().chain([&inv.stdin]).flatten() {
        if let Piece::File { id, contents } = piece {
            // Like `t.TempDir()`: a directory of its own per `mocktest.TestFile`.
            let file = dir.path().join(format!("testfile-{id}")).join("file.txt");
            let written = std::fs::create_dir_all(dir.path().join(format!("testfile-{id}")))
                .and_then(|()| std::fs::write(&file, contents));
            if let Err(e) = written {
                return failed(format!("cannot write {}: {e}", file.display()));
            }
            paths.insert(*id, file.to_string_lossy().into_owned());
        }
    }
    let mut command = Command::new(openai);
    command
        .args(["--base-url", base_url])
        .args(inv.args.iter().map(|arg| render(arg, &paths)))
        .current_dir(dir.path());
    util::without_openai_env(&mut command);
    let stdin = render(&inv.stdin, &paths);
    match util::output_with_input(&mut command, Some(stdin.as_bytes()), CALL_TIMEOUT) {
        Ok(done) => Outcome {
            exit: Ok(done.status.code()),
            stderr: done.stderr,
        },
        Err(e) => failed(e),
    }
}

fn render(value: &[Piece], paths: &HashMap<usize, String>) -> String {
    value
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.as_str(),
            Piece::File { id, .. } => paths.get(id).map_or("", String::as_str),
        })
        .collect()
}

#[cfg(unix)]
fn dev_null_is_intact() -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata("/dev/null").is_ok_and(|meta| meta.file_type().is_char_device())
}

#[cfg(not(unix))]
fn dev_null_is_intact() -> bool {
    true
}

/// Prints the table per resource and every failure; returns how many failed.
fn report(invocations: &[Invocation], results: &[Outcome]) -> usize {
    let mut table: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (inv, outcome) in invocations.iter().zip(results) {
        let row = table.entry(inv.resource.as_str()).or_default();
        if outcome.passed() {
            row.0 += 1;
        } else {
            row.1 += 1;
        }
    }
    let width = table.keys().map(|k| k.len()).max().unwrap_or(0).max(8);
    println!("\n{:width$}  passed  failed", "resource");
    for (resource, (passed, failed)) in &table {
        println!("{resource:width$}  {passed:>6}  {failed:>6}");
    }
    let passed: usize = table.values().map(|row| row.0).sum();
    let failed: usize = table.values().map(|row| row.1).sum();
    println!("{:width$}  {passed:>6}  {failed:>6}", "total");

    for (inv, outcome) in invocations.iter().zip(results) {
        if outcome.passed() {
            continue;
        }
        let exit = match &outcome.exit {
            Ok(Some(code)) => format!("exit {code}"),
            Ok(None) => "killed by a signal".to_owned(),
            Err(e) => e.clone(),
        };
        println!("\nFAIL {}:{} {} ({exit})", inv.file, inv.line, inv.test);
        println!("  openai --base-url MOCK {}", shown_args(&inv.args));
        let stdin = shown(&inv.stdin);
        let stdin_lines = stdin.lines().count();
        if stdin_lines > 0 {
            println!("  stdin:");
            for line in stdin.lines().take(STDIN_LINES) {
                println!("    | {line}");
            }
            if stdin_lines > STDIN_LINES {
                println!("    | ... ({} more lines)", stdin_lines - STDIN_LINES);
            }
        }
        let stderr = outcome
            .stderr
            .lines()
            .filter(|line| !line.trim().is_empty());
        for line in stderr.take(STDERR_LINES) {
            println!("  ! {}", printable(line));
        }
    }
    failed
}

fn shown(value: &[Piece]) -> String {
    value
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => printable(text),
            Piece::File { contents, .. } => format!("<file.txt: {}>", printable(contents)),
        })
        .collect()
}

/// Arguments as a shell would take them back (test files shown by their contents).
fn shown_args(args: &[Vec<Piece>]) -> String {
    let quote = |arg: String| {
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+<>".contains(c));
        if plain {
            arg
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    args.iter()
        .map(|arg| quote(shown(arg)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Control characters (but newlines and tabs) escaped, so no output can drive the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

// ---- Reading the Go tests ----

/// A Go string value; `mocktest.TestFile` paths are known only when the test runs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A fresh `file.txt` holding `contents`; the same `id` is the same file.
    File {
        id: usize,
        contents: String,
    },
}

type Value = Vec<Piece>;

/// One call of the harness.
#[derive(Debug)]
struct Invocation {
    /// `batch_test.go`.
    file: String,
    /// `batch`.
    resource: String,
    line: usize,
    /// `TestBatchesCreate/regular_flags`, as `go test` names it.
    test: String,
    args: Vec<Value>,
    /// Empty for `TestRunMockTestWithFlags`.
    stdin: Value,
}

impl Invocation {
    fn describe(&self) -> String {
        format!(
            "{}:{} {} {}",
            self.file,
            self.line,
            self.test,
            shown_args(&self.args)
        )
    }

    fn writes_dev_null(&self) -> bool {
        self.args.iter().any(|arg| {
            arg.iter()
                .any(|p| matches!(p, Piece::Text(t) if t.contains("/dev/null")))
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
    /// Numbers and runes: never part of what we evaluate.
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn tokenize(src: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        let tok = if c == '\n' {
            line += 1;
            i += 1;
            continue;
        } else if c.is_whitespace() {
            i += 1;
            continue;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                line += usize::from(chars[i] == '\n');
                i += 1;
            }
            i += 2;
            continue;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            Tok::Ident(chars[start..i].iter().collect())
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            Tok::Other
        } else if c == '`' {
            let start = i + 1;
            i = start;
            while i < chars.len() && chars[i] != '`' {
                line += usize::from(chars[i] == '\n');
                i += 1;
            }
            if i >= chars.len() {
                return Err(format!("line {start_line}: unterminated raw string"));
            }
            i += 1;
            // Go drops carriage returns from raw strings.
            Tok::Str(chars[start..i - 1].iter().filter(|&&c| c != '\r').collect())
        } else if c == '"' || c == '\'' {
            let (text, end) = quoted(&chars, i).map_err(|e| format!("line {start_line}: {e}"))?;
            i = end;
            match text {
                Some(text) if c == '"' => Tok::Str(text),
                // Runes, and strings of bytes that are not UTF-8, are never arguments.
                _ => Tok::Other,
            }
        } else {
            i += 1;
            Tok::Punct(c)
        };
        tokens.push(Token {
            tok,
            line: start_line,
        });
    }
    Ok(tokens)
}

/// The value of the interpreted string (or rune) literal opening at `chars[at]` (`None`
/// when it is not UTF-8), and the index after it.
fn quoted(chars: &[char], at: usize) -> Result<(Option<String>, usize), String> {
    let close = chars[at];
    let mut bytes = Vec::new();
    let mut i = at + 1;
    let hex = |from: usize, n: usize| -> Result<u32, String> {
        let digits: String = chars
            .get(from..from + n)
            .unwrap_or_default()
            .iter()
            .collect();
        u32::from_str_radix(&digits, 16).map_err(|_| format!("bad escape `\\{digits}`"))
    };
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated string".into());
        };
        i += 1;
        if c == close {
            break;
        }
        if c == '\n' {
            return Err("newline in a string".into());
        }
        if c != '\\' {
            let mut buf = [0; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let escape = chars.get(i).copied().unwrap_or_default();
        i += 1;
        let simple = match escape {
            'a' => Some(7),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' | '"' | '\'' => Some(escape as u8),
            _ => None,
        };
        if let Some(byte) = simple {
            bytes.push(byte);
            continue;
        }
        match escape {
            'x' => {
                bytes.push(u8::try_from(hex(i, 2)?).unwrap_or_default());
                i += 2;
            }
            '0'..='7' => {
                let digits: String = chars.get(i - 1..i + 2).unwrap_or_default().iter().collect();
                let byte = u8::from_str_radix(&digits, 8)
                    .map_err(|_| format!("bad escape `\\{digits}`"))?;
                bytes.push(byte);
                i += 2;
            }
            'u' | 'U' => {
                let n = if escape == 'u' { 4 } else { 8 };
                let c = char::from_u32(hex(i, n)?).ok_or("an escape that is no character")?;
                let mut buf = [0; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += n;
            }
            other => return Err(format!("unknown escape `\\{other}`")),
        }
    }
    Ok((String::from_utf8(bytes).ok(), i))
}

/// Package-level `const NAME = EXPR` of every file: tests may use another file's.
fn package_consts(sources: &BTreeMap<String, String>) -> HashMap<String, Value> {
    let mut consts = HashMap::new();
    let mut files = 0;
    for text in sources.values() {
        let Ok(tokens) = tokenize(text) else {
            continue;
        };
        for at in 0..tokens.len() {
            let (Some("const"), Some(name)) = (ident_at(&tokens, at), ident_at(&tokens, at + 1))
            else {
                continue;
            };
            if punct_at(&tokens, at + 2, '=') {
                let mut eval = Eval {
                    tokens: &tokens,
                    pos: at + 3,
                    vars: &consts,
                    files: &mut files,
                };
                if let Some(value) = eval.expr() {
                    consts.insert(name.to_owned(), value);
                }
            }
        }
    }
    consts
}

fn ident_at(tokens: &[Token], at: usize) -> Option<&str> {
    match tokens.get(at).map(|t| &t.tok) {
        Some(Tok::Ident(name)) => Some(name),
        _ => None,
    }
}

fn punct_at(tokens: &[Token], at: usize, c: char) -> bool {
    tokens.get(at).is_some_and(|t| t.tok == Tok::Punct(c))
}

#[derive(Debug, Default)]
struct Parsed {
    invocations: Vec<Invocation>,
    /// Harness calls whose arguments we could not evaluate.
    problems: Vec<String>,
}

/// The harness calls of one test file. `files` numbers `mocktest.TestFile` calls
/// across files.
fn parse_go(
    name: &str,
    src: &str,
    consts: &HashMap<String, Value>,
    files: &mut usize,
) -> Result<Parsed, String> {
    let tokens = tokenize(src).map_err(|e| format!("{name}: {e}"))?;
    let resource = name.trim_end_matches(".go").trim_end_matches("_test");
    let mut vars = consts.clone();
    let mut parsed = Parsed::default();
    let (mut test, mut subtest) = (String::new(), None::<String>);
    let ident = |at| ident_at(&tokens, at);
    let punct = |at, c| punct_at(&tokens, at, c);
    for at in 0..tokens.len() {
        let Some(word) = ident(at) else {
            continue;
        };
        if word == "func" {
            if let Some(name) = ident(at + 1) {
                (test, subtest) = (name.to_owned(), None);
            }
        } else if word == "t"
            && punct(at + 1, '.')
            && ident(at + 2) == Some("Run")
            && punct(at + 3, '(')
        {
            if let Some(Tok::Str(name)) = tokens.get(at + 4).map(|t| &t.tok) {
                subtest = Some(name.replace(' ', "_"));
            }
        } else if word == "mocktest" && punct(at + 1, '.') && punct(at + 3, '(') {
            let piped = match ident(at + 2) {
                Some("TestRunMockTestWithFlags") => false,
                Some("TestRunMockTestWithPipeAndFlags") => true,
                _ => continue,
            };
            let mut eval = Eval {
                tokens: &tokens,
                pos: at + 4,
                vars: &vars,
                files,
            };
            let line = tokens[at].line;
            let test = match &subtest {
                Some(sub) => format!("{test}/{sub}"),
                None => test.clone(),
            };
            match eval.harness_call(piped) {
                Some((stdin, args)) => parsed.invocations.push(Invocation {
                    file: name.to_owned(),
                    resource: resource.to_owned(),
                    line,
                    test,
                    args,
                    stdin,
                }),
                None => parsed.problems.push(format!("{name}:{line} {test}")),
            }
        } else if (punct(at + 1, ':') && punct(at + 2, '=') && !punct(at + 3, '='))
            || (punct(at + 1, '=') && !punct(at + 2, '='))
        {
            // `x := EXPR` or `x = EXPR`: a value we can follow, or one we no longer know.
            let start = if punct(at + 1, ':') { at + 3 } else { at + 2 };
            let mut eval = Eval {
                tokens: &tokens,
                pos: start,
                vars: &vars,
                files,
            };
            match eval.expr() {
                Some(value) => vars.insert(word.to_owned(), value),
                None => vars.remove(word),
            };
        }
    }
    Ok(parsed)
}

/// Evaluates the Go expressions the tests use, from `tokens[pos]` on.
struct Eval<'a> {
    tokens: &'a [Token],
    pos: usize,
    vars: &'a HashMap<String, Value>,
    files: &'a mut usize,
}

impl Eval<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn eat(&mut self, c: char) -> Option<()> {
        (self.peek() == Some(&Tok::Punct(c))).then(|| self.pos += 1)
    }

    fn ident(&mut self) -> Option<String> {
        match self.peek()? {
            Tok::Ident(name) => {
                let name = name.clone();
                self.pos += 1;
                Some(name)
            }
            _ => None,
        }
    }

    /// After `mocktest.TestRunMockTest…(`: `t, [pipeData,] ARGS...)`.
    fn harness_call(&mut self, piped: bool) -> Option<(Value, Vec<Value>)> {
        self.ident()?;
        let mut values = self.list()?;
        let stdin = if piped {
            (!values.is_empty()).then(|| values.remove(0))?
        } else {
            Vec::new()
        };
        Some((stdin, values))
    }

    /// `, EXPR, EXPR,)`: the rest of an argument list whose first item was read.
    fn list(&mut self) -> Option<Vec<Value>> {
        let mut values = Vec::new();
        loop {
            if self.eat(')').is_some() {
                return Some(values);
            }
            self.eat(',')?;
            if self.eat(')').is_some() {
                return Some(values);
            }
            values.push(self.expr()?);
        }
    }

    fn expr(&mut self) -> Option<Value> {
        let mut value = self.term()?;
        while self.eat('+').is_some() {
            value.extend(self.term()?);
        }
        Some(merge(value))
    }

    fn term(&mut self) -> Option<Value> {
        if self.eat('(').is_some() {
            let value = self.expr()?;
            self.eat(')')?;
            return Some(value);
        }
        if self.eat('[').is_some() {
            // `[]byte(EXPR)`
            self.eat(']')?;
            (self.ident()? == "byte").then_some(())?;
            return self.call_args(1).map(|mut args| args.remove(0));
        }
        if let Some(Tok::Str(text)) = self.peek() {
            let text = text.clone();
            self.pos += 1;
            return Some(vec![Piece::Text(text)]);
        }
        let mut name = self.ident()?;
        while self.peek() == Some(&Tok::Punct('.')) {
            self.pos += 1;
            name = format!("{name}.{}", self.ident()?);
        }
        if self.peek() != Some(&Tok::Punct('(')) {
            return self.vars.get(&name).cloned();
        }
        match name.as_str() {
            "string" => self.call_args(1).map(|mut args| args.remove(0)),
            "strings.ReplaceAll" => {
                let args = self.call_args(3)?;
                replace_all(&args[0], &args[1], &args[2])
            }
            "mocktest.TestFile" => {
                self.eat('(')?;
                self.ident()?;
                let args = self.list()?;
                let [arg] = args.as_slice() else {
                    return None;
                };
                let [Piece::Text(contents)] = arg.as_slice() else {
                    return None;
                };
                *self.files += 1;
                Some(vec![Piece::File {
                    id: *self.files,
                    contents: contents.clone(),
                }])
            }
            _ => None,
        }
    }

    /// `(EXPR, ...)` with exactly `n` arguments.
    fn call_args(&mut self, n: usize) -> Option<Vec<Value>> {
        self.eat('(')?;
        let mut args = vec![self.expr()?];
        args.extend(self.list()?);
        (args.len() == n).then_some(args)
    }
}

/// Adjacent texts joined, so that texts compare and replace as a whole.
fn merge(value: Value) -> Value {
    let mut merged: Value = Vec::new();
    for piece in value {
        match (merged.last_mut(), piece) {
            (Some(Piece::Text(last)), Piece::Text(text)) => last.push_str(&text),
            (_, piece) => merged.push(piece),
        }
    }
    merged
}

/// `strings.ReplaceAll`, where `old` is plain text.
fn replace_all(value: &[Piece], old: &[Piece], new: &[Piece]) -> Option<Value> {
    let [Piece::Text(old)] = old else {
        return None;
    };
    if old.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for piece in value {
        match piece {
            Piece::Text(text) => {
                for (index, part) in text.split(old.as_str()).enumerate() {
                    if index > 0 {
                        out.extend_from_slice(new);
                    }
                    out.push(Piece::Text(part.to_owned()));
                }
            }
            file => out.push(file.clone()),
        }
    }
    Some(merge(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"package cmd

const pem = `A
B`

func TestThingsCreate(t *testing.T) {
	t.Run("regular flags", func(t *testing.T) {
		mocktest.TestRunMockTestWithFlags(
			t,
			"--api-key", "string",
			"things", "create",
			"--file", mocktest.TestFile(t, "Example data"),
			"--name", "a\tb\x41\u00e9", // a comment, "not an arg"
		)
	})

	t.Run("piping data", func(t *testing.T) {
		testFile := mocktest.TestFile(t, "Example data")
		pipeDataStr := "" +
			"file: Example data\n" +
			"pem: |\n  " + strings.ReplaceAll(pem, "\n", "\n  ") + "\n"
		pipeDataStr = strings.ReplaceAll(pipeDataStr, "Example data", testFile)
		pipeData := []byte(pipeDataStr)
		mocktest.TestRunMockTestWithPipeAndFlags(
			t, pipeData,
			"things", "create",
		)
	})
}

func TestUnreadable(t *testing.T) {
	mocktest.TestRunMockTestWithFlags(t, "--id", someFunc())
	helper.TestRunMockTestWithFlags(t, "not the harness")
}
"#;

    fn text(s: &str) -> Piece {
        Piece::Text(s.to_owned())
    }

    #[test]
    fn harness_calls_are_read_from_go() {
        let sources = BTreeMap::from([("thing_test.go".to_owned(), SAMPLE.to_owned())]);
        let consts = package_consts(&sources);
        let mut files = 0;
        let parsed = parse_go("thing_test.go", SAMPLE, &consts, &mut files).unwrap();
        assert_eq!(parsed.invocations.len(), 2);
        assert_eq!(parsed.problems, ["thing_test.go:32 TestUnreadable"]);

        let first = &parsed.invocations[0];
        assert_eq!((first.resource.as_str(), first.line), ("thing", 8));
        assert_eq!(first.test, "TestThingsCreate/regular_flags");
        assert!(first.stdin.is_empty());
        assert_eq!(first.args.len(), 8);
        assert_eq!(first.args[1], [text("string")]);
        assert_eq!(
            first.args[5],
            [Piece::File {
                id: 1,
                contents: "Example data".into()
            }]
        );
        assert_eq!(first.args[7], [text("a\tbAé")]);

        let second = &parsed.invocations[1];
        assert_eq!(second.test, "TestThingsCreate/piping_data");
        assert_eq!(second.args, [vec![text("things")], vec![text("create")]]);
        assert_eq!(
            second.stdin,
            [
                text("file: "),
                Piece::File {
                    id: 2,
                    contents: "Example data".into()
                },
                text("\npem: |\n  A\n  B\n"),
            ]
        );
        let paths = HashMap::from([(2, "/tmp/x/file.txt".to_owned())]);
        assert_eq!(
            render(&second.stdin, &paths),
            "file: /tmp/x/file.txt\npem: |\n  A\n  B\n"
        );
    }

    #[test]
    fn bad_go_is_an_error_not_a_panic() {
        let mut files = 0;
        for src in ["x := \"open", "x := `open", "x := \"\\q\"", "x := \"\\x4\""] {
            assert!(
                parse_go("a_test.go", src, &HashMap::new(), &mut files).is_err(),
                "{src}"
            );
        }
        let src = r#"mocktest.TestRunMockTestWithFlags(t, "\xff", 'x')"#;
        let parsed = parse_go("a_test.go", src, &HashMap::new(), &mut files).unwrap();
        assert_eq!(
            parsed.problems.len(),
            1,
            "bytes that are not UTF-8 are no argument"
        );
    }

    #[cfg(unix)]
    #[test]
    fn dev_null_is_seen_as_intact() {
        assert!(dev_null_is_intact());
    }

    #[test]
    fn shown_arguments_can_be_pasted_into_a_shell() {
        let args = vec![
            vec![text("--metadata")],
            vec![text("{foo: it's}")],
            vec![Piece::File {
                id: 1,
                contents: "x".into(),
            }],
        ];
        assert_eq!(
            shown_args(&args),
            r"--metadata '{foo: it'\''s}' '<file.txt: x>'"
        );
        assert_eq!(printable("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\n");
    }
}
