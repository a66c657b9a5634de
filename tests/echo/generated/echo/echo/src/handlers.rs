// Written once by svcgen from spec.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `echo` service: each answers with what it was given (the stored endpoints
//! with what the store reads back), so a test sees every value's way through the server.

use crate::server::{
    Api, BlobOfError, Context, DescribeFileError, EchoBlobError, EchoContactError, EchoCountsError,
    EchoFileError, EchoNumbersError, EchoPageError, EchoQueryError, EchoShapeError, EchoStaffError,
    EchoTextsError, FileOfError, GetNumbersError, KeepBlobError, KeepNumbersError,
};
use runtime::body::Binary;
use types::bytes::Bytes;
use types::uuid::Uuid;
use types::{Blob, Contact, FileInfo, NotFound, Numbers, Page, Shape, Staff, Texts};

use super::deps::Deps;
use super::store::Store;

/// The `echo` service.
pub struct Echo {
    /// The service's own database.
    pub store: Store,
}

impl Echo {
    /// The handlers, with their store (the service has no dependencies).
    pub fn new(_deps: Deps, store: Store) -> Self {
        Self { store }
    }
}

impl Api for Echo {
    async fn echo_numbers(&self, _cx: Context, body: Numbers) -> Result<Numbers, EchoNumbersError> {
        Ok(body)
    }

    async fn echo_texts(&self, _cx: Context, body: Texts) -> Result<Texts, EchoTextsError> {
        Ok(body)
    }

    async fn echo_shape(&self, _cx: Context, body: Shape) -> Result<Shape, EchoShapeError> {
        Ok(body)
    }

    async fn echo_query(
        &self,
        _cx: Context,
        tiny: i8,
        query: super::api::EchoQueryQuery,
    ) -> Result<Numbers, EchoQueryError> {
        Ok(Numbers {
            id: Uuid::nil(),
            tiny,
            small: 0,
            medium: 0,
            large: 0,
            byte: query.byte,
            word: query.word.unwrap_or_default(),
            count: query.count,
            huge: query.huge,
            ratio: query.ratio,
            precise: 0.0,
            percent: 0,
            offset: 0,
            weight: 0.0,
            maybe_count: None,
            maybe_huge: None,
            level: 0,
            scale: 0.0,
        })
    }

    /// Writes the record (inserting or replacing it) and answers with it as read back.
    async fn keep_numbers(
        &self,
        _cx: Context,
        id: Uuid,
        body: Numbers,
    ) -> Result<Numbers, KeepNumbersError> {
        let record = Numbers { id, ..body };
        let mut tx = self.store.begin().await?;
        if !tx.numbers().update(&record).await? {
            tx.numbers().insert(&record).await?;
        }
        let kept = tx.numbers().get(&id).await?;
        tx.commit().await?;
        kept.ok_or_else(|| runtime::Problem::internal("the record just written is gone").into())
    }

    async fn get_numbers(&self, _cx: Context, id: Uuid) -> Result<Numbers, GetNumbersError> {
        self.store
            .numbers()
            .get(&id)
            .await?
            .ok_or_else(|| NotFound::new(format!("no numbers {id}")).into())
    }

    async fn echo_blob(&self, _cx: Context, body: Blob) -> Result<Blob, EchoBlobError> {
        Ok(body)
    }

    async fn blob_of(
        &self,
        _cx: Context,
        data: Bytes,
        query: super::api::BlobOfQuery,
    ) -> Result<Blob, BlobOfError> {
        Ok(Blob {
            id: Uuid::nil(),
            data,
            parts: Vec::new(),
            maybe: query.maybe,
        })
    }

    /// Writes the record (inserting or replacing it) and answers with it as read back.
    async fn keep_blob(&self, _cx: Context, id: Uuid, body: Blob) -> Result<Blob, KeepBlobError> {
        let record = Blob { id, ..body };
        let mut tx = self.store.begin().await?;
        if !tx.blobs().update(&record).await? {
            tx.blobs().insert(&record).await?;
        }
        let kept = tx.blobs().get(&id).await?;
        tx.commit().await?;
        kept.ok_or_else(|| runtime::Problem::internal("the record just written is gone").into())
    }

    async fn echo_contact(&self, _cx: Context, body: Contact) -> Result<Contact, EchoContactError> {
        Ok(body)
    }

    async fn echo_counts(
        &self,
        _cx: Context,
        query: super::api::EchoCountsQuery,
    ) -> Result<std::collections::BTreeMap<String, u32>, EchoCountsError> {
        Ok(query.counts)
    }

    async fn echo_page(
        &self,
        _cx: Context,
        query: super::api::EchoPageQuery,
    ) -> Result<Page, EchoPageError> {
        Ok(query.page)
    }

    async fn echo_staff(&self, _cx: Context, body: Staff) -> Result<Staff, EchoStaffError> {
        Ok(body)
    }

    async fn echo_file(&self, _cx: Context, body: Binary) -> Result<Binary, EchoFileError> {
        Ok(body)
    }

    async fn describe_file(
        &self,
        _cx: Context,
        name: String,
        body: Binary,
    ) -> Result<FileInfo, DescribeFileError> {
        Ok(FileInfo {
            name,
            content_type: body.content_type,
            size: body.data.len() as u64,
        })
    }

    /// The bytes of `data`, of the media type `type` (a handler bug when it is none, which the
    /// server answers with a 500).
    async fn file_of(
        &self,
        _cx: Context,
        data: Bytes,
        query: super::api::FileOfQuery,
    ) -> Result<Binary, FileOfError> {
        Ok(Binary::typed(query.r#type, data.0))
    }
}
