//! Transactions that span stores.
//!
//! [`Database::begin`](crate::Database::begin) opens a [`Tx`] on the backend; store
//! methods named `*_in` take `&mut dyn Tx` and run inside it. This is how a job is
//! enqueued in the caller's transaction (the transactional outbox): it becomes visible
//! only if the transaction commits. Each backend downcasts the `Tx` to its own type; a
//! `Tx` from another backend is a programming error reported as `StoreError::Other`.

use crate::StoreError;
use async_trait::async_trait;
use std::any::Any;

/// An open transaction.
#[async_trait]
pub trait Tx: Send {
    /// The backend's concrete transaction, for its stores to downcast.
    fn as_any(&mut self) -> &mut (dyn Any + Send);
    /// Makes every write in the transaction visible.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
    /// Discards every write in the transaction.
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;
}

/// Downcasts a [`Tx`] to a backend's type.
pub fn downcast<T: 'static>(tx: &mut dyn Tx) -> Result<&mut T, StoreError> {
    tx.as_any().downcast_mut::<T>().ok_or_else(|| {
        StoreError::other(
            "using a transaction",
            "transaction belongs to another backend",
        )
    })
}
