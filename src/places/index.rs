//! The live building locate index: loaded at start, rebuilt whenever an import (in this process
//! or another `wangge import`) commits, which the writer announces with `NOTIFY`.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::store;
use crate::import::writer::PLACES_CHANGED;
use crate::spatial::locate::LocateIndex;

pub struct BuildingIndex {
    current: RwLock<Arc<LocateIndex>>,
}

impl Default for BuildingIndex {
    fn default() -> Self {
        BuildingIndex { current: RwLock::new(Arc::new(LocateIndex::new(Vec::new()))) }
    }
}

impl BuildingIndex {
    /// The index as of the last reload; cheap (an `Arc` clone).
    pub fn get(&self) -> Arc<LocateIndex> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub async fn reload(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let started = Instant::now();
        let footprints = store::footprints(pool).await?;
        let index = tokio::task::spawn_blocking(move || LocateIndex::new(footprints))
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let buildings = index.len();
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::new(index),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(index),
        }
        tracing::info!(buildings, elapsed_ms = started.elapsed().as_millis() as u64, "building locate index loaded");
        Ok(())
    }

    /// Reloads on every import notification until the pool closes or the returned task is
    /// aborted (its listening connection must be let go before the pool can close). Notifications
    /// that arrive during a reload are coalesced into one more reload.
    pub fn follow_imports(self: Arc<Self>, pool: PgPool) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(listener) => listener,
                Err(error) => {
                    return tracing::error!(%error, "cannot listen for imports; the locate index will not follow them");
                }
            };
            if let Err(error) = listener.listen(PLACES_CHANGED).await {
                return tracing::error!(%error, "cannot listen for imports");
            }
            loop {
                match listener.recv().await {
                    Ok(_) => {
                        while listener.next_buffered().is_some() {}
                        if let Err(error) = self.reload(&pool).await {
                            tracing::error!(%error, "reloading the locate index");
                        }
                    }
                    Err(_) if pool.is_closed() => return,
                    Err(error) => {
                        tracing::warn!(%error, "import listener lost its connection; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        })
    }
}
