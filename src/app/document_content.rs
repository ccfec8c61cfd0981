//! A stored document read back in chunks off the async workers, its SHA-256 checked as it goes. The last
//! chunk is held back until the whole file has matched, so a file changed on disk never reaches a client
//! whole: the download is cut short of its `Content-Length` and the mismatch is logged.

use std::io::{self, Read};
use std::path::Path;

use actix_web::web::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::store::applications::Document;

/// Bytes read per step: enough to keep the disk busy, small enough that a download holds little memory.
const CHUNK: usize = 64 * 1024;

/// A document opened for serving: exactly `len` bytes in `chunks`, or an error in their place.
pub struct Content {
    pub len: u64,
    pub chunks: BoxStream<'static, Result<Bytes, io::Error>>,
}

/// Opens the stored file of `doc` under `dir`. The first chunk is read (and, for a file of one chunk,
/// the whole file checked) before answering, so a missing, resized or small changed file is a plain 500
/// rather than a cut stream.
pub async fn open(dir: &Path, doc: &Document) -> ApiResult<Content> {
    let len = u64::try_from(doc.size_bytes).map_err(ApiError::internal)?;
    let path = dir.join(&doc.storage_key);
    let opened = tokio::task::spawn_blocking(move || -> io::Result<_> {
        let file = std::fs::File::open(path)?;
        let on_disk = file.metadata()?.len();
        Ok((file, on_disk))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(format!("document {} cannot be read: {e}", doc.id)))?;
    let (file, on_disk) = opened;
    if on_disk != len {
        return Err(ApiError::internal(format!(
            "document {} has {on_disk} bytes on disk, {len} recorded",
            doc.id
        )));
    }
    let mut reader = Reader {
        file: Some(file),
        hasher: Sha256::new(),
        read: 0,
        len,
        sha256: doc.sha256.clone(),
        document_id: doc.id.clone(),
        held: None,
    };
    let first = match reader.next().await {
        Some(Err(e)) => return Err(ApiError::internal(format!("document {}: {e}", doc.id))),
        first => first,
    };
    let rest = stream::unfold(reader, |mut r| async move { r.next().await.map(|item| (item, r)) });
    Ok(Content { len, chunks: stream::iter(first).chain(rest).boxed() })
}

struct Reader {
    /// `None` once the file is finished or failed.
    file: Option<std::fs::File>,
    hasher: Sha256,
    read: u64,
    len: u64,
    sha256: String,
    document_id: String,
    /// The chunk read last, released only when the next one (or a verified end) is reached.
    held: Option<Bytes>,
}

impl Reader {
    /// The next chunk that may be sent; `None` after the last one or after an error.
    async fn next(&mut self) -> Option<io::Result<Bytes>> {
        loop {
            let file = self.file.take()?;
            let (file, chunk) = match tokio::task::spawn_blocking(move || read_chunk(file)).await {
                Ok(Ok(read)) => read,
                Ok(Err(e)) => return Some(Err(self.fail(&format!("could not be read: {e}")))),
                Err(e) => return Some(Err(self.fail(&format!("could not be read: {e}")))),
            };
            if chunk.is_empty() {
                let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
                if self.read != self.len || sha256 != self.sha256 {
                    return Some(Err(self.fail("does not match its checksum")));
                }
                return self.held.take().map(Ok);
            }
            self.read += chunk.len() as u64;
            if self.read > self.len {
                return Some(Err(self.fail("is longer than recorded")));
            }
            self.hasher.update(&chunk);
            self.file = Some(file);
            if let Some(ready) = self.held.replace(Bytes::from(chunk)) {
                return Some(Ok(ready));
            }
        }
    }

    fn fail(&mut self, why: &str) -> io::Error {
        self.held = None;
        tracing::error!(document_id = %self.document_id, "stored document {why}; it was not served whole");
        io::Error::other(format!("stored document {} {why}", self.document_id))
    }
}

/// Up to [`CHUNK`] bytes; fewer only at the end of the file.
fn read_chunk(mut file: std::fs::File) -> io::Result<(std::fs::File, Vec<u8>)> {
    let mut buf = vec![0; CHUNK];
    let mut filled = 0;
    while filled < CHUNK {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok((file, buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::types::now;

    fn stored(dir: &Path, bytes: &[u8]) -> Document {
        std::fs::write(dir.join("key"), bytes).unwrap();
        Document {
            id: "doc".into(),
            application_id: "app".into(),
            kind: "photo".into(),
            original_name: "p.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: bytes.len() as i64,
            sha256: hex::encode(Sha256::digest(bytes)),
            storage_key: "key".into(),
            uploaded_by: "resident".into(),
            created_at: now(),
        }
    }

    async fn drain(content: Content) -> (usize, Vec<u8>, bool) {
        let chunks: Vec<_> = content.chunks.collect().await;
        let failed = chunks.iter().any(Result::is_err);
        let bytes: Vec<u8> = chunks.into_iter().filter_map(Result::ok).flatten().collect();
        (bytes.len().div_ceil(CHUNK), bytes, failed)
    }

    #[actix_web::test]
    async fn a_large_file_is_streamed_in_chunks_and_cut_before_its_end_when_changed() {
        let dir = std::env::temp_dir().join(format!("qat-content-{}", crate::db::types::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let original: Vec<u8> = (0..(3 * CHUNK + 123)).map(|i| (i % 251) as u8).collect();
        let doc = stored(dir.as_path(), &original);

        let content = open(dir.as_path(), &doc).await.unwrap();
        assert_eq!(content.len, original.len() as u64);
        let (chunks, bytes, failed) = drain(content).await;
        assert!(!failed);
        assert_eq!(chunks, 4);
        assert_eq!(bytes, original);

        // Same size, one byte changed: the file opens, but its end is never sent.
        let mut changed = original.clone();
        changed[2 * CHUNK + 7] ^= 0xFF;
        std::fs::write(dir.as_path().join("key"), &changed).unwrap();
        let (_, bytes, failed) = drain(open(dir.as_path(), &doc).await.unwrap()).await;
        assert!(failed, "the stream ends in an error");
        assert!(bytes.len() < original.len(), "never the whole file");

        // A small changed file, or one of another size, is refused before answering.
        let small = stored(dir.as_path(), b"%PDF-1.7 small");
        std::fs::write(dir.as_path().join("key"), b"%PDF-1.7 smalL").unwrap();
        assert!(open(dir.as_path(), &small).await.is_err());
        std::fs::write(dir.as_path().join("key"), b"%PDF").unwrap();
        assert!(open(dir.as_path(), &small).await.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
