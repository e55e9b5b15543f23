//! The formatter is driven through pipes; one that writes before it has
//! read all its input (a `RUSTFMT` wrapper, say) must not stall
//! generation. Its own test binary: it sets `RUSTFMT` for the process.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn a_formatter_that_streams_its_output_does_not_stall_generation() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("streaming-rustfmt");
    // `cat` writes as it reads: with nobody reading its output, it would
    // block once a pipe is full, and so would whoever feeds it.
    std::fs::write(&script, "#!/bin/sh\nexec cat\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // SAFETY: this test is alone in its binary, so no other thread reads
    // the environment.
    unsafe { std::env::set_var("RUSTFMT", &script) };

    // One model of thousands of documented fields: far more text than a
    // pipe (and `cat`) hold.
    let properties: String = (0..3000)
        .map(|i| {
            format!(
                "        field_{i}: {{type: string, description: \"Field {i}, described at \
                 some length so that the generated file is large.\"}}\n"
            )
        })
        .collect();
    let spec = format!(
        "openapi: 3.1.0\ninfo: {{title: t, version: \"1\"}}\npaths:\n  /things/{{thing_id}}:\n    \
         get:\n      parameters:\n        - {{name: thing_id, in: path, required: true, \
         schema: {{type: string}}}}\n      responses:\n        \"200\":\n          \
         description: OK\n          content:\n            application/json:\n              \
         schema: {{$ref: \"#/components/schemas/Thing\"}}\ncomponents:\n  schemas:\n    \
         Thing:\n      type: object\n      properties:\n{properties}"
    );
    let config = "resources:\n  things:\n    methods:\n      get: get /things/{thing_id}\n";
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(codegen::generate(&spec, config, "openai_uploads"));
    });
    // Only a guard against a hang.
    let generated = finished
        .recv_timeout(Duration::from_secs(120))
        .expect("generation stalled on a streaming formatter")
        .unwrap();
    // `cat` formats nothing, but every file came back whole.
    assert!(
        generated
            .library
            .values()
            .all(|text| text.contains("// @generated"))
    );
    assert!(generated.library.values().map(String::len).sum::<usize>() > 256 * 1024);
}
