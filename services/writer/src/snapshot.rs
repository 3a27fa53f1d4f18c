//! Snapshots of a writer's state, so that a service on a long history starts
//! from its last snapshot and the events after it instead of its whole topic.
//!
//! A snapshot is only ever a shortcut: the topic stays the truth. A snapshot
//! that is missing, unreadable, of another format or that the topic does not
//! confirm (see [`crate::writer`]) is set aside and the state is rebuilt from
//! offset zero, which is always correct. Deleting the snapshot directory is
//! therefore always safe.

use std::{
    fs::{self, File},
    io::{self, Write},
    path::{Path, PathBuf},
};

use ledger_domain::Decider;
use sha2::{Digest, Sha256};

use ledger_proto::registry::Context;

use crate::{Signing, WriterState};

/// Marks a file as a writer snapshot.
const MAGIC: &[u8; 8] = b"LDGSNAP\0";

/// Layout version of the state. Bump it whenever a type inside
/// [`WriterState`] (the command log, stream heads, a context's book) changes
/// shape or meaning: older snapshots are then ignored, never misread.
/// 2: signed by the writer. 3: the obligations book keeps each grant's
/// obligation terms. 4: closures, credits, the grants the obligations book
/// knows as ended or obligated. 5: CP mandated by programme, envelopes
/// imputed without their funder. 6: posts' holders and grants' obligations
/// kept so that any replay order gives the same book. 7: loans with their
/// repayments; guarantees with their schedule, reports and claim;
/// programmes with their guarantee share.
const FORMAT: u32 = 8;

/// Where snapshots go and how often they are taken.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    pub dir: PathBuf,
    /// A snapshot is written once this many events have been folded since
    /// the last one (and at a clean shutdown).
    pub every: u64,
}

/// Why a snapshot could not be used or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("snapshot {path} is not one this version can read: {why}")]
    Unreadable { path: PathBuf, why: String },
    #[error("snapshot of the state cannot be encoded: {0}")]
    Encode(String),
}

/// The snapshot file of one topic.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    path: PathBuf,
    /// Names the state's type and topic inside the file, so that a file
    /// copied into the wrong place is refused.
    label: String,
    /// The context whose writer signs the snapshot.
    context: &'static str,
    /// The writer's key, which signs each snapshot, and the ring a loaded
    /// one is checked against: a state its writer did not sign is never
    /// trusted, any more than an event would be.
    signing: Signing,
}

impl SnapshotStore {
    pub fn new<D: Decider>(dir: &Path, topic: &str, signing: Signing) -> Self {
        Self {
            path: dir.join(format!("{topic}.snapshot")),
            label: format!("{topic} {}", std::any::type_name::<D>()),
            context: Context::of_topic(topic).map_or("(not an event topic)", Context::name),
            signing,
        }
    }

    /// What the signature covers: the label and the body's checksum.
    fn signed_part(label: &[u8], checksum: &[u8]) -> Vec<u8> {
        [label, checksum].concat()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Encodes the state: done on the writer's task, which owns the state,
    /// so that writing the bytes can happen elsewhere.
    pub fn encode<D: Decider>(&self, state: &WriterState<D>) -> Result<Vec<u8>, SnapshotError> {
        let body = postcard::to_stdvec(state).map_err(|e| SnapshotError::Encode(e.to_string()))?;
        let label = self.label.as_bytes();
        let mut bytes = Vec::with_capacity(body.len() + label.len() + 48);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT.to_le_bytes());
        bytes.extend_from_slice(&(label.len() as u32).to_le_bytes());
        bytes.extend_from_slice(label);
        let checksum = Sha256::digest(&body);
        let signer = &self.signing.signer;
        let key_id = signer.key_id().as_bytes();
        bytes.extend_from_slice(&(key_id.len() as u32).to_le_bytes());
        bytes.extend_from_slice(key_id);
        bytes.extend_from_slice(&signer.sign(&Self::signed_part(label, &checksum)));
        bytes.extend_from_slice(&checksum);
        bytes.extend_from_slice(&body);
        Ok(bytes)
    }

    /// Writes encoded bytes so that a crash at any moment leaves either the
    /// previous snapshot or the new one, whole: a temporary file, synced,
    /// then renamed over the old one.
    pub fn write(&self, bytes: &[u8]) -> Result<(), SnapshotError> {
        let io = |source| SnapshotError::Io {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(io)?;
        let temporary = self.path.with_extension("snapshot.partial");
        let mut file = File::create(&temporary).map_err(io)?;
        file.write_all(bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&temporary, &self.path).map_err(io)?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        Ok(())
    }

    /// The last snapshot, if there is one.
    pub fn load<D: Decider>(&self) -> Result<Option<WriterState<D>>, SnapshotError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SnapshotError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        self.decode(&bytes).map(Some)
    }

    /// Reads a snapshot's bytes: its layout version, its signature, then
    /// the state; anything else is an error, never a panic.
    pub fn decode<D: Decider>(&self, bytes: &[u8]) -> Result<WriterState<D>, SnapshotError> {
        let unreadable = |why: &str| SnapshotError::Unreadable {
            path: self.path.clone(),
            why: why.to_owned(),
        };
        let mut rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| unreadable("not a snapshot file"))?;
        let format = take_u32(&mut rest).ok_or_else(|| unreadable("truncated"))?;
        if format != FORMAT {
            return Err(unreadable(&format!(
                "format {format}, this version reads {FORMAT}"
            )));
        }
        let label_len = take_u32(&mut rest).ok_or_else(|| unreadable("truncated"))? as usize;
        let label = take(&mut rest, label_len).ok_or_else(|| unreadable("truncated"))?;
        if label != self.label.as_bytes() {
            return Err(unreadable(&format!(
                "it holds {:?}, expected {:?}",
                String::from_utf8_lossy(label),
                self.label
            )));
        }
        let key_len = take_u32(&mut rest).ok_or_else(|| unreadable("truncated"))? as usize;
        let key_id = take(&mut rest, key_len).ok_or_else(|| unreadable("truncated"))?;
        let signature = take(&mut rest, 64).ok_or_else(|| unreadable("truncated"))?;
        let checksum = take(&mut rest, 32).ok_or_else(|| unreadable("truncated"))?;
        self.signing
            .ring
            .check_detached(
                self.context,
                &String::from_utf8_lossy(key_id),
                &Self::signed_part(label, checksum),
                signature,
            )
            .map_err(|e| unreadable(&format!("not signed by its writer: {e}")))?;
        if Sha256::digest(rest).as_slice() != checksum {
            return Err(unreadable("checksum mismatch (damaged or truncated)"));
        }
        postcard::from_bytes(rest).map_err(|e| unreadable(&e.to_string()))
    }
}

/// Takes snapshots on the writer's task as events accumulate: encoding
/// there (it owns the state), writing the file on a blocking thread so that
/// commands keep flowing meanwhile.
pub(crate) struct Snapshotter {
    store: SnapshotStore,
    every: u64,
    /// Events folded since the last snapshot.
    since: u64,
    writing: Option<tokio::task::JoinHandle<()>>,
}

impl Snapshotter {
    pub(crate) fn new(store: SnapshotStore, every: u64, since: u64) -> Self {
        Self {
            store,
            every: every.max(1),
            since,
            writing: None,
        }
    }

    /// Counts `events` more folded and starts a snapshot when enough have
    /// been, unless the previous one is still being written.
    pub(crate) fn folded<D: Decider>(&mut self, state: &WriterState<D>, events: u64) {
        self.since += events;
        let busy = self.writing.as_ref().is_some_and(|w| !w.is_finished());
        if self.since < self.every || busy {
            return;
        }
        match self.store.encode(state) {
            Ok(bytes) => {
                self.since = 0;
                let store = self.store.clone();
                self.writing = Some(tokio::task::spawn_blocking(move || {
                    match store.write(&bytes) {
                        Ok(()) => {
                            tracing::info!(path = %store.path().display(), bytes = bytes.len(), "snapshot written")
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "snapshot not written; the next one will be tried later")
                        }
                    }
                }));
            }
            Err(err) => tracing::warn!(error = %err, "snapshot not taken"),
        }
    }

    /// At a clean stop: a snapshot of the final state if anything was
    /// folded since the last one, written after any still in progress. The
    /// state is encoded now; the returned future only writes.
    pub(crate) fn finish<D: Decider>(
        self,
        state: &WriterState<D>,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let bytes = match self.since {
            0 => Ok(None),
            _ => self.store.encode(state).map(Some),
        };
        let store = self.store;
        let writing = self.writing;
        async move {
            if let Some(writing) = writing {
                let _ = writing.await;
            }
            let bytes = match bytes {
                Ok(Some(bytes)) => bytes,
                Ok(None) => return,
                Err(err) => return tracing::warn!(error = %err, "no snapshot at shutdown"),
            };
            let path = store.path().to_owned();
            match tokio::task::spawn_blocking(move || store.write(&bytes)).await {
                Ok(Ok(())) => {
                    tracing::info!(path = %path.display(), "snapshot written at shutdown")
                }
                Ok(Err(err)) => tracing::warn!(error = %err, "no snapshot at shutdown"),
                Err(join) => tracing::warn!(error = %join, "no snapshot at shutdown"),
            }
        }
    }
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if bytes.len() < n {
        return None;
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Some(head)
}

fn take_u32(bytes: &mut &[u8]) -> Option<u32> {
    let raw = take(bytes, 4)?;
    Some(u32::from_le_bytes(raw.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use ledger_domain::{centres::CentresBook, grants::GrantsBook};

    use super::*;

    use ledger_domain::signing::{KeyRing, Signer};

    /// A ring trusting seed 1 for grants and seed 2 for workforce, and the
    /// signing of the one given.
    fn signing(seed: u8, context: &str) -> Signing {
        let public = |seed: u8| {
            let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
            hex::encode(key.verifying_key().as_bytes())
        };
        let ring = KeyRing::parse(&format!(
            "grants-1 grants {}\nworkforce-1 workforce {}",
            public(1),
            public(2)
        ))
        .expect("ring");
        Signing {
            signer: Signer::from_seed([seed; 32], &ring, context).expect("signer"),
            ring: std::sync::Arc::new(ring),
        }
    }

    fn store(dir: &Path) -> SnapshotStore {
        SnapshotStore::new::<GrantsBook>(dir, "ledger.grants.v1", signing(1, "grants"))
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ledger-snapshot-{name}-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).expect("scratch directory");
        dir
    }

    #[test]
    fn a_written_snapshot_reads_back_and_a_missing_one_is_none() {
        let dir = scratch("roundtrip");
        let store = store(&dir);
        assert!(store
            .load::<GrantsBook>()
            .expect("no file is fine")
            .is_none());
        let mut state = WriterState::<GrantsBook>::default();
        state.mark_observed("ledger.obligations.v1", 2, 41);
        store
            .write(&store.encode(&state).expect("encodes"))
            .expect("writes");
        let back = store.load::<GrantsBook>().expect("reads").expect("present");
        assert_eq!(back.observed("ledger.obligations.v1").get(&2), Some(&42));
        fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn damaged_foreign_or_future_snapshots_are_refused() {
        let dir = scratch("refused");
        let store = store(&dir);
        let state = WriterState::<GrantsBook>::default();
        let good = store.encode(&state).expect("encodes");

        let mut damaged = good.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 0xff;
        store.write(&damaged).expect("writes");
        let err = store.load::<GrantsBook>().expect_err("damaged");
        assert!(err.to_string().contains("checksum"), "{err}");

        store.write(&good[..good.len() / 2]).expect("writes");
        assert!(store.load::<GrantsBook>().is_err(), "truncated");

        let mut future = good.clone();
        future[8..12].copy_from_slice(&(FORMAT + 1).to_le_bytes());
        store.write(&future).expect("writes");
        let err = store.load::<GrantsBook>().expect_err("future format");
        assert!(err.to_string().contains("format"), "{err}");

        // Signed with another writer's key: refused, however well formed.
        let other =
            SnapshotStore::new::<GrantsBook>(&dir, "ledger.grants.v1", signing(2, "workforce"));
        store
            .write(&other.encode(&state).expect("encodes"))
            .expect("writes");
        let err = store
            .load::<GrantsBook>()
            .expect_err("signed by another writer");
        assert!(
            err.to_string().contains("not signed by its writer"),
            "{err}"
        );

        // A centres snapshot at the grants path: another state type.
        let centres =
            SnapshotStore::new::<CentresBook>(&dir, "ledger.grants.v1", signing(1, "grants"));
        store
            .write(
                &centres
                    .encode(&WriterState::<CentresBook>::default())
                    .expect("encodes"),
            )
            .expect("writes");
        let err = store.load::<GrantsBook>().expect_err("foreign");
        assert!(err.to_string().contains("CentresBook"), "{err}");
        fs::remove_dir_all(dir).ok();
    }
}
