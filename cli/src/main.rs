//! The `mergedb` command-line tool: benchmark the engine, look into a store
//! and change it.
//!
//!     mergedb bench [--trace FILE] [--json]
//!     mergedb --db DIR docs | create | put DOC PATH JSON | get DOC [PATH]
//!                 | dump DOC | log DOC | verify | stats
//!                 | compact [DOC] | import FILE | export DOC
//!                 | id | pair DEVICE [--docs DOC...] | unpair DEVICE | peers
//!                 | serve --listen ADDR [--allow-unpaired] [--announce]
//!                 | sync (--peer URL | --discover [--wait S]) [DOC...]
//!
//! PATH is JSON-pointer style: `/items/0/name`. A write exits 0 only after its
//! change is durable; any error prints one line and exits 1.

/// `println!` for what a command prints: where stdout is closed (`mergedb
/// docs | head -1`), the rest is dropped and the command goes on to its
/// end, its store closed cleanly, instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            crate::stdout_failed(&e);
        }
    }};
}

mod bench;
mod net;
mod run;

/// A write to stdout failed: a closed pipe is the reader's choice and goes
/// unsaid; anything else is told on stderr.
fn stdout_failed(e: &std::io::Error) {
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        eprintln!("mergedb: cannot write to stdout: {e}");
    }
}

use clap::{Parser, Subcommand};
use mergedb::engine::format::ObjId;
use mergedb::engine::store::{DocId, Store, StoreError, StoreOptions};
use mergedb::engine::{Document, Prop, Value};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "mergedb",
    version,
    about = "An embedded database for mergeable JSON documents"
)]
struct Cli {
    /// The store's directory (every command but `bench` needs one). Only
    /// `create`, `import`, `sync`, `id` and `pair` make a store where there
    /// is none.
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the documents.
    Docs,
    /// Create an empty document and print its id.
    Create {
        /// The id it has on another device (32 hex digits); a new one if none.
        #[arg(long)]
        id: Option<String>,
    },
    /// Put a JSON value at a path of a document.
    #[command(after_help = "Examples:
  # a string: JSON needs its quotes, and the shell needs quotes around them
  mergedb --db DIR put DOC /title '\"Leg day\"'
  # a list, then its first element replaced
  mergedb --db DIR put DOC /sets '[5, 5, 3]'
  mergedb --db DIR put DOC /sets/0 6
  # a map
  mergedb --db DIR put DOC /notes '{\"text\": \"ok\"}'")]
    Put {
        /// The document's id: 32 hex digits (as `docs` lists them), or its
        /// automerge-repo id or `automerge:` URL.
        doc: String,
        /// Where to put the value: JSON-pointer style, `/key/0/key`. Each step
        /// is a map key, or an index where the object is a list; the last step
        /// names the key or index to set. `~1` stands for `/` and `~0` for `~`
        /// inside a key.
        path: String,
        /// The value, as JSON: `5`, `true`, `null`, `"text"` (with its
        /// quotes, so quote it for the shell too), `[1, 2]` or `{"a": 1}`.
        /// Objects become maps and arrays lists.
        json: String,
    },
    /// Print the JSON at a path of a document (the whole document by default).
    Get { doc: String, path: Option<String> },
    /// Print a whole document as JSON.
    Dump { doc: String },
    /// List a document's changes: actor, seq, hash and ops.
    Log { doc: String },
    /// Read every record and check every checksum and hash.
    Verify,
    /// Print the store's counters.
    Stats,
    /// Compact one document, or every document: a snapshot replaces its log.
    Compact { doc: Option<String> },
    /// Make a new document from a file and print its id: a JSON object, or
    /// with --automerge a `.automerge` file (what Automerge's save writes).
    Import {
        /// Read FILE as an Automerge document instead of JSON.
        #[arg(long)]
        automerge: bool,
        file: PathBuf,
    },
    /// Print a document as JSON (from its snapshot's state when compacted),
    /// or with --automerge write it in Automerge's format to --out FILE.
    Export {
        /// Write the document as Automerge saves one (a document chunk).
        #[arg(long, requires = "out")]
        automerge: bool,
        doc: String,
        /// Where --automerge writes.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Merge a file of Automerge change chunks, or a whole Automerge
    /// document, into an existing document; print how many changes were new.
    Apply { doc: String, file: PathBuf },
    /// Print this store's device id, which another device pairs with.
    Id,
    /// Allow a device to sync with this store, for every document or the
    /// ones given.
    Pair(net::PairArgs),
    /// Forget a paired device.
    Unpair { device: String },
    /// List the paired devices and what each may sync.
    Peers,
    /// Serve the store's documents to paired devices over mutual TLS, and
    /// to automerge-repo clients if asked, until interrupted.
    Serve(net::ServeArgs),
    /// Sync documents with a peer until both sides hold the same changes,
    /// print what moved, and exit.
    Sync(net::SyncArgs),
    /// Ingest a typing session one commit per keystroke, compact, reopen, read
    /// lazily and load whole, and print the figures.
    Bench(bench::Args),
}

type Result<T> = std::result::Result<T, String>;

fn read(file: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
}

fn doc_id(text: &str) -> Result<DocId> {
    net::parse_doc(text)
}

/// The path's steps: map keys, or list indexes where the object is a list.
fn steps(path: &str) -> Result<Vec<String>> {
    match path {
        "" | "/" => Ok(Vec::new()),
        p if p.starts_with('/') => Ok(p[1..]
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect()),
        p => Err(format!("path {p:?} must start with '/'")),
    }
}

fn prop(doc: &Document, obj: &ObjId, step: &str) -> Result<Prop> {
    match doc.object_type(obj).map_err(|e| e.to_string())? {
        mergedb::engine::format::ObjType::Map | mergedb::engine::format::ObjType::Table => {
            Ok(Prop::Map(step.to_string()))
        }
        _ => step
            .parse::<usize>()
            .map(Prop::Seq)
            .map_err(|_| format!("{step:?} is not a list index")),
    }
}

/// Walks to the object that holds the last step.
fn walk(doc: &Document, steps: &[String]) -> Result<ObjId> {
    let mut obj = ObjId::Root;
    for step in steps {
        let p = prop(doc, &obj, step)?;
        match doc.get(&obj, p).map_err(|e| e.to_string())? {
            Some((Value::Object(_), id)) => obj = id,
            Some(_) => return Err(format!("{step:?} is not an object")),
            None => return Err(format!("nothing at {step:?}")),
        }
    }
    Ok(obj)
}

fn run(cli: Cli) -> Result<()> {
    if let Command::Bench(args) = &cli.command {
        return bench::run(args);
    }
    let db = cli
        .db
        .as_deref()
        .ok_or("this command needs the store's directory: --db DIR")?;
    // Only the commands that bring documents make a store; the others refuse
    // a path where there is none, rather than create an empty one.
    let creates = matches!(
        cli.command,
        Command::Create { .. }
            | Command::Import { .. }
            | Command::Sync(_)
            | Command::Id
            | Command::Pair(_)
    );
    let options = StoreOptions::default();
    let opened = match creates {
        true => Store::open_with(db, options),
        false => Store::open_existing(db, options),
    };
    let store = opened.map_err(|e| match e {
        StoreError::NoStore(p) => format!(
            "no store at {}: `mergedb --db {} create` makes one",
            p.display(),
            p.display()
        ),
        e => e.to_string(),
    })?;
    if creates {
        // A store made here gets its device key pair now (SPEC.md §6B.6).
        net::id(&store)?;
    }
    let err = |e: StoreError| e.to_string();
    match cli.command {
        Command::Docs => store
            .list_docs()
            .map_err(err)?
            .iter()
            .for_each(|d| outln!("{d}")),
        Command::Create { id } => match id {
            Some(text) => {
                let id = doc_id(&text)?;
                store.create_doc_as(id).map_err(err)?;
                outln!("{id}");
            }
            None => outln!("{}", store.create_doc().map_err(err)?),
        },
        Command::Put { doc, path, json } => {
            let id = doc_id(&doc)?;
            let value: serde_json::Value =
                serde_json::from_str(&json).map_err(|e| format!("invalid JSON: {e}"))?;
            let steps = steps(&path)?;
            let (last, parents) = steps
                .split_last()
                .ok_or("put needs a path below the root")?;
            let handle = store.doc(&id).map_err(err)?;
            let (parent, p) = {
                let d = handle.read().map_err(err)?;
                let parent = walk(&d, parents)?;
                let p = prop(&d, &parent, last)?;
                (parent, p)
            };
            drop(handle);
            let commit = store
                .transact(&id, |tx| {
                    Ok::<_, StoreError>(tx.put_json(&parent, p, &value)?)
                })
                .map_err(err)?;
            commit.ticket.wait().map_err(err)?;
            if let Some(hash) = commit.hash {
                outln!("{hash}");
            }
        }
        Command::Get { doc, path } => {
            let handle = store.doc(&doc_id(&doc)?).map_err(err)?;
            let d = handle.read().map_err(err)?;
            let steps = steps(path.as_deref().unwrap_or("/"))?;
            let json = match steps.split_last() {
                None => d.to_json(),
                Some((last, parents)) => {
                    let parent = walk(&d, parents)?;
                    match d
                        .get(&parent, prop(&d, &parent, last)?)
                        .map_err(|e| e.to_string())?
                    {
                        Some((Value::Object(_), id)) => {
                            d.object_to_json(&id).map_err(|e| e.to_string())?
                        }
                        Some((Value::Scalar(s), _)) => mergedb::engine::scalar_to_json(&s),
                        None => return Err(format!("nothing at {}", path.unwrap_or_default())),
                    }
                }
            };
            outln!("{json}");
        }
        Command::Dump { doc } => {
            let handle = store.doc(&doc_id(&doc)?).map_err(err)?;
            let json = handle.to_json().map_err(err)?;
            outln!(
                "{}",
                serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?
            );
        }
        Command::Log { doc } => {
            let d = store
                .doc(&doc_id(&doc)?)
                .map_err(err)?
                .read()
                .map_err(err)?;
            let changes = d.changes_since(&[]).map_err(|e| e.to_string())?;
            // The same order: both follow the history.
            for (c, hash) in changes.iter().zip(d.change_hashes()) {
                outln!(
                    "{} seq {} hash {} ops {} deps {}",
                    c.actor,
                    c.seq,
                    hash,
                    c.ops.len(),
                    c.deps.len()
                );
            }
        }
        Command::Verify => {
            let r = store.verify().map_err(err)?;
            outln!(
                "ok: {} documents, {} changes ({} bytes), {} waiting",
                r.docs,
                r.changes,
                r.bytes,
                r.queued
            );
        }
        Command::Compact { doc } => {
            let docs = match doc {
                Some(d) => vec![doc_id(&d)?],
                None => store.list_docs().map_err(err)?,
            };
            for id in docs {
                let done = store.compact(&id).map_err(err)?;
                if !done.wrote {
                    outln!("{id}: nothing to compact: its log is empty; nothing changed");
                    continue;
                }
                outln!(
                    "{id}: {} log records ({} bytes) replaced by a {}-byte snapshot",
                    done.records_removed,
                    done.bytes_removed,
                    done.snapshot_bytes
                );
            }
        }
        Command::Import {
            automerge: true,
            file,
        } => {
            let bytes = read(&file)?;
            let (id, ticket) = store
                .import_automerge(None, &bytes)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            ticket.wait().map_err(err)?;
            outln!("{id}");
        }
        Command::Apply { doc, file } => {
            let id = doc_id(&doc)?;
            let bytes = read(&file)?;
            let (applied, ticket) = store
                .apply_automerge(&id, &bytes)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            ticket.wait().map_err(err)?;
            outln!(
                "{} changes applied, {} waiting for their deps",
                applied.applied.len(),
                applied.queued.len()
            );
        }
        Command::Import { file, .. } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}: invalid JSON: {e}", file.display()))?;
            let serde_json::Value::Object(entries) = value else {
                return Err(format!("{}: a document is a JSON object", file.display()));
            };
            // One batch: a failed write leaves no empty document behind.
            let (id, commit) = store
                .create_doc_with(None, |tx| {
                    Ok::<_, StoreError>(entries.iter().try_for_each(|(k, v)| {
                        tx.put_json(&ObjId::Root, Prop::Map(k.clone()), v)
                    })?)
                })
                .map_err(err)?;
            commit.ticket.wait().map_err(err)?;
            outln!("{id}");
        }
        Command::Export {
            automerge: true,
            doc,
            out,
        } => {
            let out = out.ok_or("--automerge needs --out FILE")?;
            let d = store
                .doc(&doc_id(&doc)?)
                .map_err(err)?
                .read()
                .map_err(err)?;
            std::fs::write(&out, d.save_automerge())
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        }
        Command::Export { doc, out, .. } => {
            let handle = store.doc(&doc_id(&doc)?).map_err(err)?;
            let json = handle.to_json().map_err(err)?.to_string();
            match out {
                Some(out) => std::fs::write(&out, json + "\n")
                    .map_err(|e| format!("cannot write {}: {e}", out.display()))?,
                None => outln!("{json}"),
            }
        }
        Command::Bench(_) => {}
        Command::Id => outln!("{}", net::id(&store)?),
        Command::Pair(args) => net::pair(&store, &args)?,
        Command::Unpair { device } => net::unpair(&store, &device)?,
        Command::Peers => net::peers(&store)?,
        Command::Serve(args) => net::serve(store, &args)?,
        Command::Sync(args) => net::sync(store, &args)?,
        Command::Stats => {
            let s = store.stats();
            outln!("documents {}", store.list_docs().map_err(err)?.len());
            outln!(
                "cache: {} loaded, {} bytes, {} hits, {} misses, {} evictions",
                s.cache.cached_docs,
                s.cache.cached_bytes,
                s.cache.hits,
                s.cache.misses,
                s.cache.evictions
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mergedb: {e}");
            ExitCode::FAILURE
        }
    }
}
