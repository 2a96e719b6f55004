//! Cache cases.

use super::*;

pub(super) async fn cache_set_get_delete(cache: Arc<dyn CacheStore>) {
    let key = format!("contract:{}", uuid::Uuid::new_v4());
    assert_eq!(cache.get(&key).await.unwrap(), None);
    cache
        .set(&key, b"one", Duration::from_mins(1))
        .await
        .unwrap();
    assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"one"[..]));
    cache
        .set(&key, b"two", Duration::from_mins(1))
        .await
        .unwrap();
    assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"two"[..]));
    cache.delete(&key).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap(), None);
    cache.delete(&key).await.unwrap();
}

pub(super) async fn cache_expiry(cache: Arc<dyn CacheStore>) {
    let key = format!("contract:{}", uuid::Uuid::new_v4());
    cache
        .set(&key, b"short", Duration::from_millis(150))
        .await
        .unwrap();
    assert!(cache.get(&key).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        cache.get(&key).await.unwrap(),
        None,
        "entry outlived its TTL"
    );
}

pub(super) async fn cache_ping(cache: Arc<dyn CacheStore>) {
    cache.ping().await.unwrap();
}
