//! Settings: small store-wide records that the layers above keep with the
//! data they are about, such as the device's key and its paired peers
//! (SPEC.md §5.2, §6B.6). The store keeps the bytes and makes each write
//! durable before it returns; what they mean is the caller's.

use super::keys;
use super::{Batch, Store, StoreError};

/// The longest name of a setting, in bytes.
pub const MAX_SETTING_NAME: usize = 255;

fn key(name: &str) -> Result<Vec<u8>, StoreError> {
    if name.is_empty() || name.len() > MAX_SETTING_NAME {
        return Err(StoreError::BadSettingName(name.len()));
    }
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(keys::SETTING);
    k.extend_from_slice(name.as_bytes());
    Ok(k)
}

impl Store {
    /// The setting `name`, if it is set.
    pub fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.backend.get(&key(name)?)
    }

    /// Sets `name` to `value`, durably.
    pub fn set_setting(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        let mut b = Batch::new();
        b.put(key(name)?, value.to_vec());
        self.inner.backend.write(&b, true)
    }

    /// Removes the setting `name`, durably; nothing if it is not set.
    pub fn remove_setting(&self, name: &str) -> Result<(), StoreError> {
        let mut b = Batch::new();
        b.delete(key(name)?);
        self.inner.backend.write(&b, true)
    }

    /// Every setting whose name starts with `prefix`, in name order. A
    /// name that is not UTF-8 (no caller writes one) is skipped.
    pub fn settings(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut p = vec![keys::SETTING];
        p.extend_from_slice(prefix.as_bytes());
        let entries = self.inner.backend.scan_prefix(&p)?;
        Ok(entries
            .into_iter()
            .filter_map(|(k, v)| {
                let name = std::str::from_utf8(k.get(1..)?).ok()?;
                Some((name.to_string(), v))
            })
            .collect())
    }
}
