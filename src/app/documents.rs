//! Documents of a resident's applications: typed by their own bytes, staged while received, recorded in
//! the transaction that checks the application, stored under a name of ours, and read back only while
//! they still match the SHA-256 taken at upload.

use std::path::{Path, PathBuf};

use crate::app::applications::{check_accepts_changes, form_of};
use crate::app::caller::Resident;
use crate::app::document_content::{self, Content};
use crate::app::workflow;
use crate::config::Config;
use crate::db::Db;
use crate::db::types::{new_id, now};
use crate::domain::status::ApplicationStatus;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{Created, Recorded};
use crate::state::AppState;
use crate::store::applications::{self as store, Document};

/// The media type of a file from its first bytes; `None` for anything we do not accept.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("image/png");
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        if [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"]
            .iter()
            .any(|b| brand == *b)
        {
            return Some("image/heic");
        }
    }
    None
}

/// One of our media types named by a declared `Content-Type` essence, aliases included.
fn media_alias(essence: &str) -> Option<&'static str> {
    match essence {
        "application/pdf" | "application/x-pdf" => Some("application/pdf"),
        "image/jpeg" | "image/jpg" | "image/pjpeg" => Some("image/jpeg"),
        "image/png" | "image/x-png" => Some("image/png"),
        "image/heic" | "image/heif" | "image/heic-sequence" | "image/heif-sequence" => Some("image/heic"),
        _ => None,
    }
}

/// One of our media types named by a file name extension (lower case), aliases included.
fn extension_alias(extension: &str) -> Option<&'static str> {
    match extension {
        "pdf" => Some("application/pdf"),
        "jpg" | "jpeg" | "jpe" | "jfif" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "heic" | "heif" | "hif" => Some("image/heic"),
        _ => None,
    }
}

/// The media type of an upload, judged by its first bytes, when what the client said agrees with them.
/// A declared part `Content-Type` must name the same type, unless it is absent or
/// `application/octet-stream` (which leave the judgement to the bytes). A name whose extension names one
/// of the accepted types must name the same type; other extensions (`.bin`, none) say nothing.
/// Anything else is a 415 `unsupported_media_type` whose detail says what disagreed.
pub fn judge(head: &[u8], declared: Option<&str>, name: &str) -> ApiResult<&'static str> {
    let refuse = |detail: String| Err(ApiError::unsupported_media_type(detail));
    let Some(sniffed) = sniff(head) else {
        return refuse("only PDF, JPEG, PNG and HEIC files are accepted".into());
    };
    let essence = declared.and_then(|d| d.split(';').next()).unwrap_or("").trim().to_ascii_lowercase();
    if !essence.is_empty() && essence != "application/octet-stream" && media_alias(&essence) != Some(sniffed)
    {
        let shown: String = essence.chars().take(100).collect();
        return refuse(format!("the file was sent as {shown} but its content is {sniffed}"));
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if extension_alias(&extension).is_some_and(|named| named != sniffed) {
        return refuse(format!("the file is named .{extension} but its content is {sniffed}"));
    }
    Ok(sniffed)
}

/// Where stored files live, each under its `storage_key`.
pub fn directory(config: &Config) -> PathBuf {
    config.data_dir.join("documents")
}

/// A file being received, in the staging folder: deleted when dropped unless it was moved into place.
pub struct StagedFile {
    path: PathBuf,
    kept: bool,
}

impl StagedFile {
    /// A new empty staged file, with the writer that fills it.
    pub async fn create(config: &Config) -> ApiResult<(Self, StagingWriter)> {
        let staged = Self { path: directory(config).join("tmp").join(new_id()), kept: false };
        let path = staged.path.clone();
        let file = blocking(move || {
            std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
            std::fs::File::create(&path)
        })
        .await?;
        Ok((staged, StagingWriter { file: Some(file), buffer: Vec::with_capacity(STAGING_BUFFER) }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Bytes gathered before each write to disk: large enough that a 10 MiB upload costs 40 writes, small
/// enough that concurrent uploads hold little memory.
const STAGING_BUFFER: usize = 256 * 1024;

/// Writes an upload to its staged file on the blocking pool, so that a slow disk (or the final flush)
/// stalls this upload only, never the other requests served by the same worker.
pub struct StagingWriter {
    file: Option<std::fs::File>,
    buffer: Vec<u8>,
}

impl StagingWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> ApiResult<()> {
        self.buffer.extend_from_slice(chunk);
        if self.buffer.len() >= STAGING_BUFFER {
            self.flush(false).await?;
        }
        Ok(())
    }

    /// Writes what is left and waits until the file is on disk.
    pub async fn finish(mut self) -> ApiResult<()> {
        self.flush(true).await
    }

    async fn flush(&mut self, sync: bool) -> ApiResult<()> {
        use std::io::Write;
        let mut file = self.file.take().ok_or_else(|| ApiError::internal("the staged file was lost"))?;
        let buffer = std::mem::take(&mut self.buffer);
        let (file, mut buffer) = blocking(move || {
            file.write_all(&buffer)?;
            if sync {
                file.sync_all()?;
            }
            Ok((file, buffer))
        })
        .await?;
        buffer.clear();
        (self.file, self.buffer) = (Some(file), buffer);
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?.map_err(ApiError::internal)
}

/// A received upload: the document kind asked for and the staged file, already judged by its bytes.
pub struct Upload {
    pub kind: String,
    pub file: StagedFile,
    pub original_name: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub content_type: &'static str,
}

/// Not found unless the application is the caller's. Checked before a body of megabytes is read.
pub async fn check_owner(db: &Db, caller: &Resident, application_id: &str) -> ApiResult<()> {
    let (id, owner) = (application_id.to_owned(), caller.id.clone());
    db.run(move |conn| Ok(store::find_for_resident(conn, &id, &owner).map(|_| ())?)).await
}

/// Adds a document to a draft or to an application awaiting information; the application's version
/// changes. `respond` turns the document and the new version into the 201 answer that an idempotent
/// retry gets again. The file reaches its place before the commit and is removed if the commit fails.
pub async fn upload(
    state: &AppState,
    caller: Resident,
    application_id: String,
    upload: Upload,
    record: Option<Recorded>,
    respond: impl FnOnce(&Document, i32) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    let cap = state.config.max_documents_per_application as i64;
    let quota = i64::try_from(state.config.max_stored_bytes_per_resident).unwrap_or(i64::MAX);
    let storage_key = new_id();
    let stored = directory(&state.config).join(&storage_key);
    let Upload { kind, mut file, original_name, size_bytes, sha256, content_type } = upload;
    let (staged, target) = (file.path.clone(), stored.clone());
    let result = state
        .db
        .write(move |conn| {
            let app = store::find_for_resident(conn, &application_id, &caller.id)?;
            check_accepts_changes(&app, "takes no documents")?;
            let stored = store::stored_bytes_of(conn, &caller.id)?;
            if stored.saturating_add(size_bytes) > quota {
                return Err(ApiError::conflict(
                    ErrorCode::StorageQuotaExceeded,
                    format!(
                        "a resident may store at most {quota} bytes of documents; {stored} are stored and \
                         this file has {size_bytes}"
                    ),
                ));
            }
            if store::count_documents(conn, &app.id)? >= cap {
                return Err(ApiError::conflict(
                    ErrorCode::DocumentLimitReached,
                    format!("an application holds at most {cap} documents"),
                ));
            }
            let def = form_of(conn, &app.service_id, app.service_version)?;
            if def.document_kind(&kind).is_none() {
                let kinds: Vec<&str> = def.documents.iter().map(|d| d.kind.as_str()).collect();
                return Err(ApiError::field(
                    "kind",
                    "invalid_option",
                    format!("kind must be one of: {}", kinds.join(", ")),
                ));
            }
            let t = now();
            let doc = Document {
                id: new_id(),
                application_id: app.id.clone(),
                kind,
                original_name,
                content_type: content_type.into(),
                size_bytes,
                sha256,
                storage_key,
                uploaded_by: caller.id,
                created_at: t,
            };
            store::insert_document(conn, &doc)?;
            let mut next = app.clone();
            next.version += 1;
            next.updated_at = t;
            if !store::save_if_version(conn, &next, app.version)? {
                return Err(ApiError::precondition_failed());
            }
            // The organisation asked for more: tell it something arrived. Drafts are not its business yet.
            if app.status == ApplicationStatus::NeedsInfo {
                workflow::queue_webhook(
                    conn,
                    &next,
                    "application.document_added",
                    serde_json::json!({"document_id": doc.id, "kind": doc.kind}),
                )?;
            }
            let created = respond(&doc, next.version)?;
            created.remember(conn, record.as_ref())?;
            std::fs::rename(&staged, &target).map_err(ApiError::internal)?;
            Ok(created)
        })
        .await;
    match result {
        Ok(created) => {
            file.kept = true;
            Ok(created)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&stored);
            Err(e)
        }
    }
}

/// The documents of one of the caller's applications, oldest first.
pub async fn list(db: &Db, caller: Resident, application_id: String) -> ApiResult<Vec<Document>> {
    db.run(move |conn| {
        let app = store::find_for_resident(conn, &application_id, &caller.id)?;
        Ok(store::list_documents(conn, &app.id)?)
    })
    .await
}

/// A document of one of the caller's applications, opened for serving.
pub async fn download(
    state: &AppState,
    caller: Resident,
    application_id: String,
    document_id: String,
) -> ApiResult<(Document, Content)> {
    let doc = state
        .db
        .run(move |conn| {
            let app = store::find_for_resident(conn, &application_id, &caller.id)?;
            Ok(store::find_document(conn, &app.id, &document_id)?)
        })
        .await?;
    let content = content(&state.config, &doc).await?;
    Ok((doc, content))
}

/// The stored bytes of a document, streamed and checked against the SHA-256 taken at upload: a file
/// that no longer matches is a 500 (logged, with no path in the answer) or, past its first chunk, a
/// download cut short. See [`document_content`](crate::app::document_content).
pub async fn content(config: &Config, doc: &Document) -> ApiResult<Content> {
    document_content::open(&directory(config), doc).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_typed_by_their_first_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]), Some("image/png"));
        assert_eq!(sniff(&[&[0, 0, 0, 24][..], b"ftypmif1"].concat()), Some("image/heic"));
        assert_eq!(sniff(&[&[0, 0, 0, 24][..], b"ftypisom"].concat()), None);
        assert_eq!(sniff(b"just some text"), None);
    }

    #[test]
    fn what_the_client_declares_must_agree_with_the_bytes() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0];
        let heic = [&[0, 0, 0, 24][..], b"ftypheic"].concat();
        assert_eq!(judge(&png, Some("image/png"), "scan.png").ok(), Some("image/png"));
        assert_eq!(judge(&png, None, "scan.bin").ok(), Some("image/png"));
        assert_eq!(judge(&png, Some("application/octet-stream"), "scan").ok(), Some("image/png"));
        assert_eq!(judge(&jpeg, Some("image/jpg"), "photo.JPG").ok(), Some("image/jpeg"));
        assert_eq!(judge(&jpeg, Some("image/jpeg; q=1"), "photo.jpeg").ok(), Some("image/jpeg"));
        assert_eq!(judge(&heic, Some("image/heif"), "photo.heif").ok(), Some("image/heic"));
        assert_eq!(judge(b"%PDF-1.7", Some("application/pdf"), "form.pdf").ok(), Some("application/pdf"));

        for (declared, name) in
            [(Some("application/pdf"), "x.pdf"), (None, "x.pdf"), (Some("text/plain"), "x")]
        {
            let e = judge(&png, declared, name).unwrap_err();
            assert_eq!(e.code, ErrorCode::UnsupportedMediaType, "{declared:?} {name}");
        }
        assert!(judge(b"plain text", None, "x.txt").is_err());
    }
}
