//! Finding paired devices on the local network (SPEC.md §6B.7): a serving
//! store announces `_mergedb._tcp.local.` over mDNS (mdns-sd), with its
//! device id as the instance name and in the TXT record; a syncing store
//! browses for a while and keeps what names a device it paired. What an
//! announcement says is not trusted: the TLS handshake proves the id, and
//! an address that does not is only a failed connection.

use crate::device_id::DeviceId;
use crate::NetError;
use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The service type mergedb announces.
pub const SERVICE: &str = "_mergedb._tcp.local.";
/// The TXT key that holds the device id.
const ID_KEY: &str = "id";
/// The most devices one browse keeps: a LAN full of announcements cannot
/// grow the list without bound.
pub const MAX_FOUND: usize = 256;
/// The most addresses kept for one device.
const MAX_ADDRS: usize = 16;

fn mdns_error(e: mdns_sd::Error) -> NetError {
    NetError::Io(format!("mDNS: {e}"))
}

/// A store's announcement on the LAN; it ends when dropped.
pub struct Announcement {
    daemon: ServiceDaemon,
    fullname: String,
}

impl std::fmt::Debug for Announcement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Announcement({})", self.fullname)
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        // Tell the LAN the device is gone, then stop the daemon's thread.
        if let Ok(done) = self.daemon.unregister(&self.fullname) {
            let _ = done.recv_timeout(Duration::from_secs(1));
        }
        let _ = self.daemon.shutdown();
    }
}

/// Announces device `device` serving on `port`, on every interface with
/// an address, until the announcement is dropped.
pub fn announce(device: &DeviceId, port: u16) -> Result<Announcement, NetError> {
    let daemon = ServiceDaemon::new().map_err(mdns_error)?;
    let id = device.to_string();
    // The first group names the host; the full id (63 characters, the
    // longest DNS label) names the instance.
    let first = id.split('-').next().unwrap_or("device").to_lowercase();
    let host = format!("mergedb-{first}.local.");
    let info = ServiceInfo::new(SERVICE, &id, &host, "", port, &[(ID_KEY, id.as_str())][..])
        .map_err(mdns_error)?
        .enable_addr_auto();
    let fullname = info.get_fullname().to_string();
    daemon.register(info).map_err(mdns_error)?;
    Ok(Announcement { daemon, fullname })
}

/// The devices announced on the LAN within `wait`, or until `enough` says
/// so of what was found, each with its addresses, IPv4 first.
/// Announcements whose id does not parse are skipped.
pub fn discover(
    wait: Duration,
    enough: impl Fn(&BTreeMap<DeviceId, Vec<SocketAddr>>) -> bool,
) -> Result<BTreeMap<DeviceId, Vec<SocketAddr>>, NetError> {
    let daemon = ServiceDaemon::new().map_err(mdns_error)?;
    let events = daemon.browse(SERVICE).map_err(mdns_error)?;
    let mut found: BTreeMap<DeviceId, Vec<SocketAddr>> = BTreeMap::new();
    let end = Instant::now() + wait;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        let Ok(event) = events.recv_timeout(left) else {
            break;
        };
        let ServiceEvent::ServiceResolved(service) = event else {
            continue;
        };
        let Some(Ok(device)) = service
            .get_property_val_str(ID_KEY)
            .map(str::parse::<DeviceId>)
        else {
            continue;
        };
        if found.len() >= MAX_FOUND && !found.contains_key(&device) {
            continue;
        }
        // A link-local IPv6 address needs its interface's scope, which a
        // socket address here does not carry: such an address is left out.
        let mut ips: Vec<_> = service
            .get_addresses()
            .iter()
            .map(|a| a.to_ip_addr())
            .filter(|ip| !matches!(ip, std::net::IpAddr::V6(v6) if v6.is_unicast_link_local()))
            .collect();
        if ips.is_empty() {
            continue;
        }
        let addrs = found.entry(device).or_default();
        ips.sort_by_key(|ip| (ip.is_ipv6(), *ip));
        for ip in ips {
            let addr = SocketAddr::new(ip, service.get_port());
            if addrs.len() < MAX_ADDRS && !addrs.contains(&addr) {
                addrs.push(addr);
            }
        }
        if enough(&found) {
            break;
        }
    }
    let _ = daemon.stop_browse(SERVICE);
    let _ = daemon.shutdown();
    Ok(found)
}
