//! Devices on a LAN of their own: network namespaces joined by a bridge,
//! one store per host, the `mergedb` tool as a user runs it. The phone
//! serves and announces itself over mDNS; the paired laptop finds it and
//! syncs both ways; an unpaired host gets nothing; and kill -9 of either
//! side in the middle of a sync loses nothing that was acknowledged.
//!
//! Needs root and `ip netns` (the CI machine has both). Elsewhere it says
//! so and passes, except under `CI`, where it fails.

use mergedb::engine::format::ObjId;
use mergedb::engine::Document;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The namespaces of one run, named after the test's pid so that runs do
/// not meet; removed, with what runs in them, on drop.
struct Lan {
    prefix: String,
    children: Vec<Child>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    match out.status.success() {
        true => Ok(()),
        false => Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

impl Lan {
    /// A bridge in its own namespace and `hosts` namespaces on it, host i
    /// at 10.77.0.(i+1).
    fn new(hosts: &[&str]) -> Result<Lan, String> {
        let lan = Lan {
            prefix: format!("mdb{}", std::process::id()),
            children: Vec::new(),
        };
        let bridge = lan.ns("lan");
        ip(&["netns", "add", &bridge])?;
        ip(&["-n", &bridge, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &bridge, "link", "set", "br0", "up"])?;
        for (i, host) in hosts.iter().enumerate() {
            let ns = lan.ns(host);
            let side = format!("v{host}");
            ip(&["netns", "add", &ns])?;
            ip(&[
                "-n", &bridge, "link", "add", &side, "type", "veth", "peer", "name", "eth0",
                "netns", &ns,
            ])?;
            ip(&["-n", &bridge, "link", "set", &side, "master", "br0", "up"])?;
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("10.77.0.{}/24", i + 1),
                "dev",
                "eth0",
            ])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        }
        Ok(lan)
    }

    fn ns(&self, host: &str) -> String {
        format!("{}{host}", self.prefix)
    }

    /// `mergedb --db DB ARGS` on `host`.
    fn mergedb(&self, host: &str, db: &Path, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args([
            "netns",
            "exec",
            &self.ns(host),
            env!("CARGO_BIN_EXE_mergedb"),
        ])
        .arg("--db")
        .arg(db)
        .args(args);
        c
    }

    fn run(&self, host: &str, db: &Path, args: &[&str]) -> (bool, String, String) {
        let out: Output = self.mergedb(host, db, args).output().unwrap();
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).trim().to_string();
        (out.status.success(), text(out.stdout), text(out.stderr))
    }

    /// `serve --announce` on `host`, once it says it is announcing.
    fn serve(&mut self, host: &str, db: &Path) -> usize {
        let mut child = self
            .mergedb(
                host,
                db,
                &["serve", "--listen", "0.0.0.0:7411", "--announce"],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log(db)))
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("serve announced itself").unwrap();
            if line.starts_with("announcing") {
                break;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        self.children.push(child);
        self.children.len() - 1
    }

    /// kill -9 of the process `index`; whether it was still running.
    fn kill(&mut self, index: usize) -> bool {
        let child = &mut self.children[index];
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        running
    }
}

/// Where `serve` on `db` logs the connections it refused.
fn log(db: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(db.with_extension("serve-log"))
        .unwrap()
}

fn served_log(db: &Path) -> String {
    std::fs::read_to_string(db.with_extension("serve-log")).unwrap_or_default()
}

impl Drop for Lan {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for host in ["lan", "phone", "laptop", "stranger"] {
            let _ = ip(&["netns", "del", &self.ns(host)]);
        }
    }
}

/// A store at `db` with a document of `commits` commits of 50 ops, made in memory
/// and imported as an Automerge file (the CLI would take a process per
/// commit); its id.
fn big_document(lan: &Lan, host: &str, db: &Path, commits: i64) -> String {
    let mut doc = Document::new();
    for i in 0..commits {
        let mut tx = doc.transaction();
        for k in 0..50 {
            tx.put(&ObjId::Root, format!("k{k}").as_str(), i).unwrap();
        }
        tx.commit();
    }
    let file = db.with_extension("automerge");
    std::fs::write(&file, doc.save_automerge()).unwrap();
    let (ok, id, err) = lan.run(host, db, &["import", "--automerge", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    id
}

fn lan_or_skip() -> Option<Lan> {
    match Lan::new(&["phone", "laptop", "stranger"]) {
        Ok(lan) => Some(lan),
        Err(e) if std::env::var_os("CI").is_some() => panic!("no network namespaces under CI: {e}"),
        Err(e) => {
            eprintln!("skipped: network namespaces need root and `ip netns` ({e})");
            None
        }
    }
}

#[test]
fn devices_on_a_lan_find_each_other_sync_and_survive_kill_9() {
    let Some(mut lan) = lan_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = |n: &str| -> PathBuf { dir.path().join(n) };
    let (phone, laptop, stranger) = (db("phone"), db("laptop"), db("stranger"));
    let workouts = big_document(&lan, "phone", &phone, 1_000);
    let laptop_doc = big_document(&lan, "laptop", &laptop, 4_000);
    assert_ne!(workouts, laptop_doc);
    let id = |h: &str, d: &Path| lan.run(h, d, &["id"]).1;
    let (phone_id, laptop_id) = (id("phone", &phone), id("laptop", &laptop));
    assert!(lan.run("phone", &phone, &["pair", &laptop_id]).0);
    assert!(lan.run("laptop", &laptop, &["pair", &phone_id]).0);
    assert!(lan.run("stranger", &stranger, &["pair", &phone_id]).0);
    assert!(
        lan.run(
            "phone",
            &phone,
            &["put", &workouts, "/exercise", "\"squat\""]
        )
        .0
    );
    let phone_json = lan.run("phone", &phone, &["get", &workouts]).1;

    // The laptop finds the phone by mDNS and syncs both ways; kill -9 of
    // the laptop in the middle of taking the phone's document.
    let server = lan.serve("phone", &phone);
    let started = Instant::now();
    let client = lan
        .mergedb(
            "laptop",
            &laptop,
            &["sync", "--discover", "--wait", "20", &workouts],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    lan.children.push(client);
    std::thread::sleep(Duration::from_millis(400));
    let client_index = lan.children.len() - 1;
    assert!(
        lan.kill(client_index),
        "the laptop's sync ended within {:?}",
        started.elapsed()
    );
    let (ok, _, err) = lan.run("laptop", &laptop, &["verify"]);
    assert!(ok, "the laptop's store after kill -9: {err}");
    let (ok, out, err) = lan.run(
        "laptop",
        &laptop,
        &["sync", "--discover", "--wait", "20", &workouts],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("device {phone_id} at wss://10.77.0.1:7411")),
        "{out}"
    );
    assert_eq!(
        lan.run("laptop", &laptop, &["get", &workouts]).1,
        phone_json
    );

    // The stranger hears the phone, but the phone never paired it.
    let (ok, _, err) = lan.run(
        "stranger",
        &stranger,
        &["sync", "--discover", "--wait", "20"],
    );
    assert!(!ok);
    // It found the phone by mDNS and tried; the phone dropped it after the
    // handshake (how that reads depends on timing: a reset, a close).
    assert!(err.contains("sync with wss://10.77.0.1:7411"), "{err}");
    let stranger_id = lan.run("stranger", &stranger, &["id"]).1;
    let logged = served_log(&phone);
    assert!(
        logged.contains(&format!("device {stranger_id} is not paired")),
        "the phone refused it for that: {logged}"
    );
    let (ok, _, _) = lan.run(
        "stranger",
        &stranger,
        &["sync", "--peer", "ws://10.77.0.1:7411", &workouts],
    );
    assert!(!ok, "plain WebSocket from another host is refused");
    assert_eq!(lan.run("stranger", &stranger, &["docs"]).1, "");

    // kill -9 of the phone while it takes the laptop's document; after a
    // restart the sync completes and the phone's store is whole.
    let client = lan
        .mergedb(
            "laptop",
            &laptop,
            &["sync", "--peer", "wss://10.77.0.1:7411", &laptop_doc],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    lan.children.push(client);
    // The whole sync takes about 1.5 s here (debug build); the phone's part
    // is the second half. Once a reconnect no longer read every document,
    // 1,000 commits synced within the old 400 ms, so the kill asserts the
    // sync was still going rather than trusting the clock.
    std::thread::sleep(Duration::from_millis(800));
    assert!(lan.kill(server), "the phone was serving");
    let laptop_sync = lan.children.len() - 1;
    let status = lan.children[laptop_sync].wait().unwrap();
    assert!(
        !status.success(),
        "the sync cannot have finished: the phone died under it"
    );
    let (ok, _, err) = lan.run("phone", &phone, &["verify"]);
    assert!(ok, "the phone's store after kill -9: {err}");
    lan.serve("phone", &phone);
    let (ok, _, err) = lan.run("laptop", &laptop, &["sync", "--discover", "--wait", "20"]);
    assert!(ok, "{err}; the phone logged: {}", served_log(&phone));
    drop(lan);
    // Both stores, read outside the namespaces: the phone holds all of the
    // laptop's document, and its own acknowledged edit.
    let get = |db: &Path, doc: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_mergedb"))
            .arg("--db")
            .arg(db)
            .args(["get", doc])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(get(&phone, &laptop_doc), get(&laptop, &laptop_doc));
    assert_eq!(get(&phone, &workouts).trim(), phone_json);
}
