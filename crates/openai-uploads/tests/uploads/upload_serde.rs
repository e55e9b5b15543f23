//! Serde round trips of the generated `Upload` model.

use openai_uploads::{OpenAiFilePurpose, Upload, UploadObject, UploadStatus};
use serde_json::{Value, json};

/// The example reply on the `openai uploads cancel` reference page.
fn seed_example() -> Value {
    json!({
        "id": "id",
        "bytes": 0,
        "created_at": 0,
        "expires_at": 0,
        "filename": "filename",
        "object": "upload",
        "purpose": "purpose",
        "status": "pending",
        "file": {
            "id": "id",
            "bytes": 0,
            "created_at": 0,
            "filename": "filename",
            "object": "file",
            "purpose": "assistants",
            "status": "uploaded",
            "expires_at": 0,
            "status_details": "status_details"
        }
    })
}

fn decode(value: &Value) -> Upload {
    serde_json::from_value(value.clone()).expect("decodes")
}

#[test]
fn seed_example_round_trips() {
    let upload = decode(&seed_example());
    assert_eq!(upload.status, UploadStatus::Pending);
    assert_eq!(upload.object, UploadObject);
    let file = upload.file.as_ref().expect("file");
    assert_eq!(file.purpose, OpenAiFilePurpose::Assistants);
    assert_eq!(file.status_details.as_deref(), Some("status_details"));
    assert_eq!(serde_json::to_value(&upload).unwrap(), seed_example());
}

#[test]
fn unknown_status_is_kept_and_written_back() {
    let mut value = seed_example();
    value["status"] = json!("archived");
    value["file"]["purpose"] = json!("evals");
    let upload = decode(&value);
    assert_eq!(upload.status, UploadStatus::Unknown("archived".into()));
    assert_eq!(upload.status.as_str(), "archived");
    assert_eq!(
        upload.file.as_ref().unwrap().purpose,
        OpenAiFilePurpose::Unknown("evals".into())
    );
    assert_eq!(serde_json::to_value(&upload).unwrap(), value);
}

#[test]
fn unknown_fields_are_ignored() {
    let mut value = seed_example();
    value["brand_new_field"] = json!({"nested": [1, 2, 3]});
    let upload = decode(&value);
    let back = serde_json::to_value(&upload).unwrap();
    assert_eq!(back, seed_example());
}

#[test]
fn null_file_is_none_and_is_not_written() {
    let mut value = seed_example();
    value["file"] = Value::Null;
    let upload = decode(&value);
    assert!(upload.file.is_none());
    let back = serde_json::to_value(&upload).unwrap();
    assert!(back.get("file").is_none(), "{back}");
}

#[test]
fn missing_file_and_object_are_fine() {
    let mut value = seed_example();
    let map = value.as_object_mut().unwrap();
    map.remove("file");
    map.remove("object");
    let upload = decode(&value);
    assert!(upload.file.is_none());
    assert_eq!(serde_json::to_value(&upload).unwrap()["object"], "upload");
}

/// A completed Upload of 2 GiB, with its File.
fn completed_example() -> Value {
    json!({
        "id": "upload_abc123",
        "object": "upload",
        "bytes": 2147483648_i64,
        "created_at": 1719184911,
        "filename": "training_examples.jsonl",
        "purpose": "fine-tune",
        "status": "completed",
        "expires_at": 1719127296,
        "file": {
            "id": "file-xyz321",
            "object": "file",
            "bytes": 2147483648_i64,
            "created_at": 1719186911,
            "filename": "training_examples.jsonl",
            "purpose": "fine-tune",
            "status": "processed"
        }
    })
}

#[test]
fn full_file_decodes() {
    let upload = decode(&completed_example());
    assert_eq!(upload.bytes, 2_147_483_648);
    assert_eq!(upload.status, UploadStatus::Completed);
    let file = upload.file.unwrap();
    assert_eq!(file.purpose, OpenAiFilePurpose::FineTune);
    assert_eq!(file.expires_at, None);
}

#[test]
fn wrong_constant_or_missing_required_field_is_an_error() {
    let mut value = seed_example();
    value["object"] = json!("file");
    let e = serde_json::from_value::<Upload>(value)
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"upload\""), "{e}");

    let mut value = seed_example();
    value.as_object_mut().unwrap().remove("id");
    let e = serde_json::from_value::<Upload>(value)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field `id`"), "{e}");

    let mut value = seed_example();
    value["bytes"] = json!("many");
    assert!(serde_json::from_value::<Upload>(value).is_err());
}

/// A completed Upload whose File leaves out the deprecated `status`, as the
/// API's own reference example does: it must decode (the field is optional in
/// the model), or `openai uploads upload` would take a success for a failure.
#[test]
fn completed_upload_without_the_deprecated_file_status_decodes() {
    let mut value = completed_example();
    let file = value["file"].as_object_mut().unwrap();
    file.remove("status");
    file.insert("expires_at".into(), json!(1719127296));
    let upload = decode(&value);
    assert_eq!(upload.status, UploadStatus::Completed);
    let file = upload.file.as_ref().expect("file");
    assert_eq!(file.status, None);
    assert_eq!(serde_json::to_value(&upload).unwrap(), value);
}
