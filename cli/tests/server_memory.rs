//! The memory of `mergedb serve` under a hundred hostile connections at
//! once, read from /proc: frames that declare up to the limit and send part
//! of it, frames over the limit, upgrades that trickle in, and garbage.
//! The server must go on serving, hold no more than a small multiple of what
//! the peers really sent (a declared length reserves nothing it does not
//! receive), and leave a store that verifies clean.

mod common;

use common::mergedb;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const PEERS: usize = 100;
/// What each peer that declares a big frame really sends of it.
const SENT: usize = 1 << 20;
const MIB: u64 = 1 << 20;

/// `serve --allow-unpaired` on a free loopback port, and its address.
fn serve(db: &Path) -> (Child, String) {
    // Its log of the hundred refusals would only be noise here.
    let (child, url) = common::serve_with(db, &["--allow-unpaired"], "ws", Stdio::null());
    let addr = url.trim_start_matches("ws://").trim_end_matches('/');
    (child, addr.to_string())
}

/// A field of /proc/PID/status, in bytes.
fn status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} is not in /proc/{pid}/status"));
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kb * 1024
}

/// A WebSocket connection upgraded by hand, so that it can send what no
/// client library would.
fn upgraded(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        answer.push(byte[0]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 101"), "no upgrade");
    s
}

/// The head of a masked binary frame that declares `len` bytes.
fn frame_head(len: u64) -> Vec<u8> {
    let mut head = vec![0x82, 0xff];
    head.extend_from_slice(&len.to_be_bytes());
    head.extend_from_slice(&[1, 2, 3, 4]);
    head
}

/// Whether the server closed `s` (reading gives end of file or an error).
fn closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return true,
            Ok(_) => continue,
        }
    }
}

/// Peer `i` of the hundred: it does its part, waits at `held` until all
/// have, then again while the server's memory is read and an honest peer
/// is served, and says whether the server behaved.
fn hostile(i: usize, addr: &str, held: &Barrier) -> bool {
    match i % 4 {
        // A frame of 48 MiB declared, 1 MiB of it sent: kept open.
        0 => {
            let mut s = upgraded(addr);
            s.write_all(&frame_head(48 * MIB)).unwrap();
            s.write_all(&vec![0x5a; SENT]).unwrap();
            held.wait();
            held.wait();
            true
        }
        // A frame over the 64 MiB limit: refused before it is read.
        1 => {
            let mut s = upgraded(addr);
            s.write_all(&frame_head(1 << 40)).unwrap();
            let refused = closed(&mut s);
            held.wait();
            held.wait();
            refused
        }
        // An upgrade that comes a few bytes at a time.
        2 => {
            let mut s = TcpStream::connect(addr).unwrap();
            for b in b"GET / HTTP/1.1\r\nHost: x\r\n".iter().take(8) {
                let _ = s.write_all(&[*b]);
                std::thread::sleep(Duration::from_millis(50));
            }
            held.wait();
            held.wait();
            true
        }
        // Garbage instead of an upgrade.
        _ => {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let _ = s.write_all(&[0xff; 64 << 10]);
            let refused = closed(&mut s);
            held.wait();
            held.wait();
            refused
        }
    }
}

#[test]
fn a_hundred_hostile_peers_cost_what_they_send() {
    let dir = tempfile::tempdir().unwrap();
    let (server_db, client_db) = (dir.path().join("server"), dir.path().join("client"));
    let (ok, doc, _) = mergedb(&server_db, &["create"]);
    assert!(ok);
    assert!(mergedb(&server_db, &["put", &doc, "/sets", "5"]).0);
    let (mut server, addr) = serve(&server_db);
    let url = format!("ws://{addr}");
    let pid = server.id();
    // One honest sync first, so that the baseline holds a served session.
    assert!(mergedb(&client_db, &["sync", "--peer", &url, &doc]).0);
    let baseline = status_bytes(pid, "VmRSS");

    let held = Arc::new(Barrier::new(PEERS + 1));
    let peers: Vec<_> = (0..PEERS)
        .map(|i| {
            let (addr, held) = (addr.clone(), held.clone());
            std::thread::spawn(move || hostile(i, &addr, &held))
        })
        .collect();
    // Every peer has done its part; the server has read what came.
    held.wait();
    std::thread::sleep(Duration::from_millis(300));
    let during = status_bytes(pid, "VmRSS");
    // Honest peers are served while the hundred hold their connections.
    let (ok, _, err) = mergedb(&client_db, &["sync", "--peer", &url, &doc]);
    assert!(ok, "an honest peer was not served: {err}");
    held.wait();
    for (i, p) in peers.into_iter().enumerate() {
        assert!(p.join().unwrap(), "peer {i} was not refused");
    }
    let peak = status_bytes(pid, "VmHWM");
    // 25 peers sent 1 MiB each of frames that declared 48 MiB: 1.2 GiB
    // declared, 25 MiB received.
    let received = (PEERS as u64 / 4) * SENT as u64;
    eprintln!(
        "server RSS: {} MiB before, {} MiB with the hundred held, {} MiB peak; {} MiB sent",
        baseline / MIB,
        during / MIB,
        peak / MIB,
        received / MIB
    );
    assert!(
        peak.saturating_sub(baseline) < 2 * received + 32 * MIB,
        "the server grew by {} MiB for {} MiB received",
        (peak - baseline) / MIB,
        received / MIB
    );

    // Still serving once they are gone, and the store is whole.
    assert!(mergedb(&client_db, &["put", &doc, "/reps", "8"]).0);
    assert!(mergedb(&client_db, &["sync", "--peer", &url, &doc]).0);
    server.kill().unwrap();
    server.wait().unwrap();
    let (ok, out, err) = mergedb(&server_db, &["verify"]);
    assert!(ok, "verify: {out} {err}");
    assert_eq!(
        mergedb(&server_db, &["get", &doc]).1,
        r#"{"reps":8,"sets":5}"#
    );
}
