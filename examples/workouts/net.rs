//! The tracker's side of mergedb's network: the device id, pairing, and
//! syncing the workouts document with paired devices found on the LAN.

use crate::app::{Result, WORKOUTS_DOC};
use mergedb::engine::store::Store;
use mergedb_net::identity::{self, Identity};
use mergedb_net::ws::{self, ServeOptions};
use mergedb_net::{mdns, Access, DeviceId};
use std::time::Duration;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

pub fn device_id(store: &Store) -> Result<DeviceId> {
    Ok(Identity::of_store(store).map_err(err)?.id())
}

/// The other device may sync the workouts document, and nothing else.
pub fn pair(store: &Store, device: &str) -> Result<()> {
    let device: DeviceId = device.parse().map_err(err)?;
    identity::pair(store, &device, &Access::only([WORKOUTS_DOC])).map_err(err)?;
    println!("paired {device}");
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().map_err(err)
}

/// Serves paired devices on `port` and announces the device on the LAN,
/// until interrupted.
pub fn serve(store: &Store, port: u16) -> Result<()> {
    let me = device_id(store)?;
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(("0.0.0.0", port))
            .await
            .map_err(err)?;
        let port = listener.local_addr().map_err(err)?.port();
        let _announced = mdns::announce(&me, port).map_err(err)?;
        println!("device {me} serving on port {port}");
        ws::serve(store.clone(), listener, ServeOptions::default())
            .await
            .map_err(err)
    })
}

/// Syncs the workouts document with every paired device on the LAN.
pub fn sync(store: &Store) -> Result<()> {
    let paired: Vec<DeviceId> = identity::paired(store)
        .map_err(err)?
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    let found = mdns::discover(Duration::from_secs(5), |f| {
        paired.iter().all(|d| f.contains_key(d))
    })
    .map_err(err)?;
    let rt = runtime()?;
    let mut synced = 0;
    for (device, addrs) in found.iter().filter(|(d, _)| paired.contains(d)) {
        for addr in addrs {
            let url = format!("wss://{addr}");
            let done = rt.block_on(ws::sync(
                store,
                &url,
                vec![WORKOUTS_DOC],
                Duration::from_secs(30),
            ));
            if let Ok(report) = done {
                let moved = report.get(&WORKOUTS_DOC).map_or(0, |r| r.changes_in);
                println!("synced with {device}: {moved} changes in");
                synced += 1;
                break;
            }
        }
    }
    match synced {
        0 => Err("no paired device answered on the LAN".into()),
        _ => Ok(()),
    }
}
