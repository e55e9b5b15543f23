//! Writing a downloaded file as it arrives: to `--output PATH`, whole or not
//! at all, or to stdout. Never held in memory whole.

use std::fs::{self, File};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use openai_runtime::ByteStream;
use openai_uploads::{ApiResponse, Error};

use crate::output::escape;

/// Why a download was not written.
#[derive(Debug)]
pub enum Failure {
    /// The reply broke off (a timeout, a connection error, too large).
    Api(Error),
    /// Nothing was written: bytes that are not text are not for a terminal.
    Usage(String),
    /// The file or stdout could not be written.
    Io(String),
}

/// Writes the download to `output` (stdout for `None` or `-`); prints
/// nothing else.
pub async fn save(
    response: ApiResponse<ByteStream>,
    output: Option<PathBuf>,
) -> Result<(), Failure> {
    let stream = response.data;
    match output.filter(|path| path.as_os_str() != "-") {
        Some(path) => to_file(stream, &path).await,
        None => {
            let content_type = response
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if let Some(refusal) = refuse_terminal(std::io::stdout().is_terminal(), content_type) {
                return Err(Failure::Usage(refusal));
            }
            to_writer(stream, &mut std::io::stdout().lock()).await
        }
    }
}

/// Why bytes of `content_type` are not written to stdout, if it is a
/// terminal: only text is.
fn refuse_terminal(terminal: bool, content_type: &str) -> Option<String> {
    if !terminal || content_type.starts_with("text/") {
        return None;
    }
    let shown = if content_type.is_empty() {
        "no content type".to_owned()
    } else {
        format!("content type {}", escape(content_type, false))
    };
    Some(format!(
        "the reply is a file ({shown}) and stdout is a terminal; write it with --output PATH, or pipe stdout"
    ))
}

async fn to_writer(mut stream: ByteStream, out: &mut impl Write) -> Result<(), Failure> {
    let lost = |err: std::io::Error| {
        Failure::Io(format!("cannot write to stdout: {err}; the output is lost"))
    };
    while let Some(chunk) = stream.chunk().await.map_err(Failure::Api)? {
        out.write_all(&chunk).map_err(lost)?;
    }
    out.flush().map_err(lost)
}

/// Writes to `PATH.part` beside `path`, syncs it and renames it to `path`,
/// so `path` is never a partial file; on any failure the part is removed.
async fn to_file(stream: ByteStream, path: &Path) -> Result<(), Failure> {
    // A device, a FIFO or `/dev/stdout` is written, never replaced: a
    // rename over `/dev/null` would replace the machine's `/dev/null`.
    if fs::metadata(path).is_ok_and(|meta| !meta.is_file()) {
        let shown = escape(&path.display().to_string(), false);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|err| Failure::Io(format!("cannot write {shown}: {err}")))?;
        return to_writer(stream, &mut file).await;
    }
    let part = part_path(path);
    let result = write_part(stream, &part, path).await;
    if result.is_err() {
        let _ = fs::remove_file(&part);
    }
    result
}

async fn write_part(mut stream: ByteStream, part: &Path, path: &Path) -> Result<(), Failure> {
    let cannot = |target: &Path| {
        let shown = escape(&target.display().to_string(), false);
        move |err: std::io::Error| Failure::Io(format!("cannot write {shown}: {err}"))
    };
    let mut file = File::create(part).map_err(cannot(part))?;
    while let Some(chunk) = stream.chunk().await.map_err(Failure::Api)? {
        file.write_all(&chunk).map_err(cannot(part))?;
    }
    file.sync_all().map_err(cannot(part))?;
    drop(file);
    fs::rename(part, path).map_err(cannot(path))
}

/// `PATH.part`, in the same directory, so the rename never crosses a disk.
fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use openai_runtime::{Method, Request};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    /// A download of `reply`, streaming.
    async fn download(server: &MockServer, reply: ResponseTemplate) -> ApiResponse<ByteStream> {
        Mock::given(method("GET"))
            .and(path("/files/f1/content"))
            .respond_with(reply)
            .mount(server)
            .await;
        let client = openai_runtime::Client::builder()
            .api_key("sk-test")
            .base_url(server.uri())
            .max_retries(0)
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        client
            .execute_bytes_stream(Request::new(Method::GET, "/files/f1/content".into()))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_file_is_written_whole_and_no_part_is_left() {
        let server = MockServer::start().await;
        let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
        let response = download(
            &server,
            ResponseTemplate::new(200).set_body_bytes(bytes.clone()),
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("data.bin");
        save(response, Some(target.clone())).await.unwrap();
        assert_eq!(fs::read(&target).unwrap(), bytes);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "only the file"
        );
    }

    #[tokio::test]
    async fn a_download_that_breaks_off_leaves_no_file() {
        // A server that promises 1000 bytes, sends 10 and hangs up.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            use std::io::Read;
            let (mut socket, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request);
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n0123456789");
        });
        let client = openai_runtime::Client::builder()
            .api_key("sk-test")
            .base_url(format!("http://{address}"))
            .max_retries(0)
            .build()
            .unwrap();
        let response = client
            .execute_bytes_stream(Request::new(Method::GET, "/files/f1/content".into()))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("data.bin");
        let failure = save(response, Some(target.clone())).await.unwrap_err();
        assert!(matches!(failure, Failure::Api(_)), "{failure:?}");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no file, no part"
        );
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_put_in_place_leaves_no_part() {
        let server = MockServer::start().await;
        let response = download(
            &server,
            ResponseTemplate::new(200).set_body_bytes(vec![7u8; 1000]),
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        // A directory that is not empty where the file should go.
        let target = dir.path().join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("x"), b"x").unwrap();
        let failure = save(response, Some(target.clone())).await.unwrap_err();
        assert!(
            matches!(&failure, Failure::Io(m) if m.contains("cannot write")),
            "{failure:?}"
        );
        assert!(!part_path(&target).exists(), "the part is removed");
    }

    #[tokio::test]
    async fn bytes_go_to_the_writer_as_they_are() {
        let server = MockServer::start().await;
        let response = download(
            &server,
            ResponseTemplate::new(200).set_body_bytes(b"\x00\x1b[2Jraw".to_vec()),
        )
        .await;
        let mut out = Vec::new();
        to_writer(response.data, &mut out).await.unwrap();
        assert_eq!(out, b"\x00\x1b[2Jraw");
    }

    #[test]
    fn only_text_goes_to_a_terminal() {
        assert_eq!(refuse_terminal(false, "video/mp4"), None);
        assert_eq!(refuse_terminal(true, "text/plain; charset=utf-8"), None);
        let refusal = refuse_terminal(true, "video/mp4").unwrap();
        assert!(refusal.contains("--output PATH"), "{refusal}");
        let refusal = refuse_terminal(true, "").unwrap();
        assert!(refusal.contains("no content type"), "{refusal}");
        let refusal = refuse_terminal(true, "x/\x1b[31m").unwrap();
        assert!(!refusal.contains('\x1b'), "{refusal:?}");
    }

    #[test]
    fn the_part_file_sits_beside_the_target() {
        assert_eq!(
            part_path(Path::new("out/video.mp4")),
            Path::new("out/video.mp4.part")
        );
        assert_eq!(part_path(Path::new("a.zip")), Path::new("a.zip.part"));
    }
}
