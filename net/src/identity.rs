//! The store's device identity and its paired peers (SPEC.md §6B.6). The
//! key pair and its self-signed certificate are made once, the first time
//! the store's identity is asked for, and kept in the store's settings; the
//! device id is the hash of that certificate. A pairing names a device id
//! and what it may sync. Only paired devices get past the TLS handshake.

use crate::access::{Access, Docs};
use crate::device_id::DeviceId;
use crate::NetError;
use mergedb_engine::store::{DocId, Store};
use parking_lot::Mutex;

const KEY: &str = "device/key";
const CERT: &str = "device/certificate";
const PEER: &str = "peer/";
/// The version byte of a pairing record.
const PAIRING_V1: u8 = 1;
const ALL_DOCS: u8 = 1;
const MAY_CREATE: u8 = 2;

/// Two threads of one process that ask a new store for its identity at
/// once would each make a key; the store's lock keeps other processes out.
static MAKING: Mutex<()> = Mutex::new(());

/// A device's key pair and certificate, as DER.
#[derive(Clone)]
pub struct Identity {
    /// The private key, PKCS#8.
    pub key_der: Vec<u8>,
    /// The self-signed certificate.
    pub cert_der: Vec<u8>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        write!(f, "Identity({})", self.id())
    }
}

impl Identity {
    /// The store's identity, made and kept if it has none yet.
    pub fn of_store(store: &Store) -> Result<Identity, NetError> {
        let _making = MAKING.lock();
        let stored = |e| NetError::Store(format!("{e}"));
        let key = store.setting(KEY).map_err(stored)?;
        let cert = store.setting(CERT).map_err(stored)?;
        match (key, cert) {
            (Some(key_der), Some(cert_der)) => Ok(Identity { key_der, cert_der }),
            // A key alone is what a crash between the two writes leaves:
            // it never named a device, so a new pair replaces it.
            (_, None) => {
                let made = Identity::generate()?;
                // The certificate last, so that it is never without its key.
                store.set_setting(KEY, &made.key_der).map_err(stored)?;
                store.set_setting(CERT, &made.cert_der).map_err(stored)?;
                Ok(made)
            }
            (None, Some(_)) => Err(NetError::Identity(
                "the store has a device certificate but no key".into(),
            )),
        }
    }

    /// A new key pair (ECDSA P-256) and its self-signed certificate.
    pub fn generate() -> Result<Identity, NetError> {
        let made = rcgen::generate_simple_self_signed(vec!["mergedb".to_string()])
            .map_err(|e| NetError::Identity(format!("cannot make a key pair: {e}")))?;
        Ok(Identity {
            key_der: made.signing_key.serialize_der(),
            cert_der: made.cert.der().to_vec(),
        })
    }

    /// The device id: the hash of the certificate.
    pub fn id(&self) -> DeviceId {
        DeviceId::of_certificate(&self.cert_der)
    }
}

fn peer_setting(id: &DeviceId) -> String {
    format!("{PEER}{id}")
}

fn encode_access(access: &Access) -> Vec<u8> {
    let mut flags = 0;
    if access.docs == Docs::All {
        flags |= ALL_DOCS;
    }
    if access.create {
        flags |= MAY_CREATE;
    }
    let mut out = vec![PAIRING_V1, flags];
    if let Docs::Only(docs) = &access.docs {
        for d in docs {
            out.extend_from_slice(&d.0);
        }
    }
    out
}

fn decode_access(bytes: &[u8]) -> Result<Access, String> {
    let (&version, rest) = bytes.split_first().ok_or("an empty record")?;
    if version != PAIRING_V1 {
        return Err(format!("pairing record version {version}, not 1"));
    }
    let (&flags, docs) = rest.split_first().ok_or("no flags")?;
    if flags & !(ALL_DOCS | MAY_CREATE) != 0 {
        return Err(format!("unknown flags {flags:#04x}"));
    }
    if docs.len() % 16 != 0 || (flags & ALL_DOCS != 0 && !docs.is_empty()) {
        return Err(format!("{} bytes of document ids", docs.len()));
    }
    let ids = docs
        .chunks_exact(16)
        .filter_map(|c| <[u8; 16]>::try_from(c).ok().map(DocId));
    Ok(Access {
        docs: match flags & ALL_DOCS != 0 {
            true => Docs::All,
            false => Docs::Only(ids.collect()),
        },
        create: flags & MAY_CREATE != 0,
    })
}

/// Allows device `id` to sync what `access` says, replacing what it had.
pub fn pair(store: &Store, id: &DeviceId, access: &Access) -> Result<(), NetError> {
    store
        .set_setting(&peer_setting(id), &encode_access(access))
        .map_err(|e| NetError::Store(e.to_string()))
}

/// Forgets device `id`; whether it was paired.
pub fn unpair(store: &Store, id: &DeviceId) -> Result<bool, NetError> {
    let was = paired_access(store, id)?.is_some();
    store
        .remove_setting(&peer_setting(id))
        .map_err(|e| NetError::Store(e.to_string()))?;
    Ok(was)
}

/// What device `id` may do, if it is paired.
pub fn paired_access(store: &Store, id: &DeviceId) -> Result<Option<Access>, NetError> {
    let name = peer_setting(id);
    match store.setting(&name) {
        Ok(None) => Ok(None),
        Ok(Some(bytes)) => decode_access(&bytes)
            .map(Some)
            .map_err(|e| NetError::Store(format!("the setting {name:?}: {e}"))),
        Err(e) => Err(NetError::Store(e.to_string())),
    }
}

/// Every paired device and what it may do, in id order.
pub fn paired(store: &Store) -> Result<Vec<(DeviceId, Access)>, NetError> {
    let settings = store
        .settings(PEER)
        .map_err(|e| NetError::Store(e.to_string()))?;
    settings
        .into_iter()
        .map(|(name, bytes)| {
            let bad = |e: String| NetError::Store(format!("the setting {name:?}: {e}"));
            let id = name
                .get(PEER.len()..)
                .unwrap_or_default()
                .parse::<DeviceId>()
                .map_err(|e| bad(e.to_string()))?;
            Ok((id, decode_access(&bytes).map_err(bad)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pairing_record_round_trips_and_a_bad_one_is_refused() {
        for access in [
            Access::all(),
            Access::only([DocId([1; 16]), DocId([2; 16])]),
            Access::only([]),
        ] {
            assert_eq!(decode_access(&encode_access(&access)), Ok(access));
        }
        for bad in [&[][..], &[2, 1], &[1], &[1, 4], &[1, 1, 0], &[1, 0, 1, 2]] {
            assert!(decode_access(bad).is_err(), "{bad:?}");
        }
    }
}
