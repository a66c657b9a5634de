//! Handlers of version 2 (the evolution test writes this over the scaffold).

use crate::deps::Deps;
use crate::server::{Api, Context, CreateNoteError, GetNoteError};
use crate::store::Store;
use types::uuid::Uuid;
use types::{NewNote, NotFound, Note};

pub struct Notes {
    pub store: Store,
}

impl Notes {
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Notes {
    async fn create_note(&self, _cx: Context, body: NewNote) -> Result<Note, CreateNoteError> {
        let note = Note {
            id: Uuid::new_v4(),
            text: body.text,
            written_at: runtime::store::now(),
            tags: Vec::new(),
            pinned: None,
            rating: 3,
        };
        self.store.notes().insert(&note).await?;
        Ok(note)
    }

    async fn get_note(&self, _cx: Context, id: Uuid) -> Result<Note, GetNoteError> {
        self.store
            .notes()
            .get(&id)
            .await?
            .ok_or_else(|| NotFound::new(format!("no note {id}")).into())
    }
}
