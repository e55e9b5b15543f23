//! Writing a downloaded file as it arrives: to `--output PATH`, whole or not
//! at all, or to stdout. Never held in memory whole.

use std::fs::{self, File};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use openai_runtime::ByteStream;
use openai_uploads::ApiResponse;

use crate::exit::{FAILURE, USAGE, fail};
use crate::options::Global;
use crate::output::print_error;

/// Writes the download to `output` (stdout for `None` or `-`) and returns
/// the exit status; prints nothing else on stdout.
pub async fn save(
    global: &Global,
    response: ApiResponse<ByteStream>,
    output: Option<PathBuf>,
) -> ExitCode {
    let stream = response.data;
    match output.filter(|path| path.as_os_str() != "-") {
        Some(path) => to_file(global, stream, &path).await,
        None => {
            let content_type = response
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if std::io::stdout().is_terminal() && !content_type.starts_with("text/") {
                let shown = if content_type.is_empty() {
                    "no content type".to_owned()
                } else {
                    format!(
                        "content type {}",
                        crate::output::escape(content_type, false)
                    )
                };
                return fail(
                    USAGE,
                    &format!(
                        "the reply is a file ({shown}) and stdout is a terminal; write it with --output PATH, or pipe stdout"
                    ),
                );
            }
            to_stdout(global, stream).await
        }
    }
}

async fn to_stdout(global: &Global, mut stream: ByteStream) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    loop {
        match stream.chunk().await {
            Ok(Some(chunk)) => {
                if let Err(err) = stdout.write_all(&chunk) {
                    return fail(
                        FAILURE,
                        &format!("cannot write to stdout: {err}; the output is lost"),
                    );
                }
            }
            Ok(None) => break,
            Err(err) => return print_error(global, &err),
        }
    }
    match stdout.flush() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(
            FAILURE,
            &format!("cannot write to stdout: {err}; the output is lost"),
        ),
    }
}

/// Writes to `PATH.part` beside `path`, syncs it and renames it to `path`,
/// so `path` is never a partial file; on any failure the part is removed.
async fn to_file(global: &Global, mut stream: ByteStream, path: &Path) -> ExitCode {
    let part = part_path(path);
    let shown = crate::output::escape(&path.display().to_string(), false);
    let mut file = match File::create(&part) {
        Ok(file) => file,
        Err(err) => {
            return fail(
                FAILURE,
                &format!(
                    "cannot write {}: {err}",
                    crate::output::escape(&part.display().to_string(), false)
                ),
            );
        }
    };
    let written = loop {
        match stream.chunk().await {
            Ok(Some(chunk)) => {
                if let Err(err) = file.write_all(&chunk) {
                    break Err(format!("cannot write {shown}: {err}"));
                }
            }
            Ok(None) => break Ok(()),
            Err(err) => {
                drop(file);
                let _ = fs::remove_file(&part);
                return print_error(global, &err);
            }
        }
    };
    let done = written
        .and_then(|()| {
            file.sync_all()
                .map_err(|err| format!("cannot write {shown}: {err}"))
        })
        .and_then(|()| {
            drop(file);
            fs::rename(&part, path).map_err(|err| format!("cannot write {shown}: {err}"))
        });
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = fs::remove_file(&part);
            fail(FAILURE, &message)
        }
    }
}

/// `PATH.part`, in the same directory, so the rename never crosses a disk.
fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_file_sits_beside_the_target() {
        assert_eq!(
            part_path(Path::new("out/video.mp4")),
            Path::new("out/video.mp4.part")
        );
        assert_eq!(part_path(Path::new("a.zip")), Path::new("a.zip.part"));
    }
}
