//! The connection core, without sockets: two stores in memory, a
//! `Connection` each, and the frames moved by hand.

mod common;

use common::{json, put, store};

use mergedb_engine::store::{DocId, Store};
use mergedb_net::{Access, Config, Connection, DocumentId, NetError, WireMessage};

fn config(store: &Store, name: &str, access: Access) -> Config {
    Config {
        peer_id: name.to_string(),
        ..Config::new(store, access)
    }
}

/// Moves frames both ways until neither side has any; gives the count.
fn pump(a: &mut Connection, b: &mut Connection) -> usize {
    let mut moved = 0;
    for _ in 0..1000 {
        let (to_b, to_a) = (a.take_outgoing(), b.take_outgoing());
        if to_b.is_empty() && to_a.is_empty() {
            return moved;
        }
        moved += to_b.len() + to_a.len();
        for f in to_b {
            let _ = b.receive(&f);
        }
        for f in to_a {
            let _ = a.receive(&f);
        }
    }
    panic!("no end to the frames");
}

#[test]
fn a_document_goes_to_an_empty_server_and_back() {
    let (client, server) = (store(), store());
    let id = client.create_doc().unwrap();
    put(&client, &id, "sets", 5);
    let mut a = Connection::connect(
        client.clone(),
        config(&client, "a", Access::all()),
        vec![id],
    );
    let mut b = Connection::accept(server.clone(), config(&server, "b", Access::all()));
    assert!(!a.is_done().unwrap());
    pump(&mut a, &mut b);
    assert!(a.is_done().unwrap());
    assert_eq!(json(&server, &id), r#"{"sets":5}"#);
    assert!(b.report()[&id].created);
    assert_eq!(b.report()[&id].changes_in, 1);
    assert_eq!(b.peer_id(), Some("a"));
    // An edit on the server reaches the client on the same connection.
    put(&server, &id, "reps", 8);
    b.doc_changed(&id).unwrap();
    pump(&mut a, &mut b);
    assert_eq!(json(&client, &id), r#"{"reps":8,"sets":5}"#);
    assert_eq!(a.report()[&id].changes_in, 1);
}

#[test]
fn a_client_gets_a_document_it_lacks() {
    let (client, server) = (store(), store());
    let id = server.create_doc().unwrap();
    put(&server, &id, "weight", 60);
    let mut a = Connection::connect(
        client.clone(),
        config(&client, "a", Access::all()),
        vec![id],
    );
    let mut b = Connection::accept(server.clone(), config(&server, "b", Access::all()));
    pump(&mut a, &mut b);
    assert!(a.is_done().unwrap());
    assert_eq!(json(&client, &id), r#"{"weight":60}"#);
    let mut heads = (
        client.doc(&id).unwrap().heads().unwrap(),
        server.doc(&id).unwrap().heads().unwrap(),
    );
    heads.0.sort();
    heads.1.sort();
    assert_eq!(heads.0, heads.1);
}

/// What the server answers a request for `id`, with `shared` documents.
fn answer(server: &Store, shared: Vec<DocId>, id: DocId) -> Vec<Vec<u8>> {
    let client = store();
    let mut a = Connection::connect(
        client.clone(),
        config(&client, "a", Access::all()),
        vec![id],
    );
    let mut b = Connection::accept(server.clone(), config(server, "b", Access::only(shared)));
    let join = a.take_outgoing();
    b.receive(&join[0]).unwrap();
    let peer = b.take_outgoing();
    a.receive(&peer[0]).unwrap();
    for f in a.take_outgoing() {
        b.receive(&f).unwrap();
    }
    let out = b.take_outgoing();
    for f in &out {
        a.receive(f).unwrap();
    }
    assert!(
        a.is_done().unwrap(),
        "a doc-unavailable settles the document"
    );
    assert!(a.report()[&id].unavailable);
    assert!(!client.contains_doc(&id).unwrap());
    out
}

#[test]
fn an_unshared_document_looks_like_an_absent_one() {
    let server = store();
    let id = server.create_doc().unwrap();
    put(&server, &id, "secret", 1);
    let refused = answer(&server, vec![], id);
    let absent = answer(&store(), vec![id], id);
    assert_eq!(refused, absent, "the peer cannot tell the two apart");
    assert!(matches!(
        WireMessage::decode(&refused[0]).unwrap(),
        WireMessage::DocUnavailable { document_id, .. } if document_id == DocumentId::from(id)
    ));
}

#[test]
fn a_server_that_may_not_create_refuses_new_documents() {
    let (client, server) = (store(), store());
    let id = client.create_doc().unwrap();
    put(&client, &id, "x", 1);
    let access = Access {
        create: false,
        ..Access::all()
    };
    let mut a = Connection::connect(
        client.clone(),
        config(&client, "a", Access::all()),
        vec![id],
    );
    let mut b = Connection::accept(server.clone(), config(&server, "b", access));
    pump(&mut a, &mut b);
    assert!(a.report()[&id].unavailable);
    assert!(server.list_docs().unwrap().is_empty());
}

#[test]
fn bad_frames_end_the_connection_with_an_error_frame() {
    let server = store();
    let id = server.create_doc().unwrap();
    put(&server, &id, "k", 1);
    let before = json(&server, &id);
    let mut b = Connection::accept(server.clone(), config(&server, "b", Access::all()));
    assert!(matches!(
        b.receive(b"\xff\x00garbage"),
        Err(NetError::BadFrame { .. })
    ));
    assert!(b.is_closed());
    let out = b.take_outgoing();
    assert!(matches!(
        WireMessage::decode(&out[0]).unwrap(),
        WireMessage::Error { .. }
    ));
    assert!(
        b.receive(&out[0]).is_err(),
        "nothing is taken after the end"
    );
    assert_eq!(json(&server, &id), before);
}

fn open_server(server: &Store) -> Connection {
    let mut b = Connection::accept(server.clone(), config(server, "b", Access::all()));
    let join = WireMessage::Join {
        sender_id: "evil".into(),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    };
    b.receive(&join.encode()).unwrap();
    b.take_outgoing();
    b
}

#[test]
fn a_sync_message_that_does_not_decode_is_the_peers_fault() {
    let server = store();
    let id = server.create_doc().unwrap();
    put(&server, &id, "k", 1);
    let before = json(&server, &id);
    let mut b = open_server(&server);
    let bad = WireMessage::Sync {
        sender_id: "evil".into(),
        target_id: "b".into(),
        document_id: id.into(),
        data: vec![0x42, 1, 2, 3],
    };
    assert!(matches!(
        b.receive(&bad.encode()),
        Err(NetError::Protocol(_))
    ));
    assert!(b.is_closed());
    assert_eq!(json(&server, &id), before);
}

#[test]
fn messages_out_of_turn_and_unknown_types() {
    let server = store();
    let mut b = Connection::accept(server.clone(), config(&server, "b", Access::all()));
    let early = WireMessage::DocUnavailable {
        sender_id: "evil".into(),
        target_id: "b".into(),
        document_id: DocumentId([7; 16]),
    };
    assert!(matches!(
        b.receive(&early.encode()),
        Err(NetError::Protocol(_))
    ));
    let mut b = open_server(&server);
    // A type newer than this code is skipped, not fatal.
    let gossip = [
        0xa2, 0x64, b't', b'y', b'p', b'e', 0x66, b'g', b'o', b's', b's', b'i', b'p', 0x61, b'x',
        0x01,
    ];
    b.receive(&gossip).unwrap();
    assert_eq!(b.ignored, 1);
    let again = WireMessage::Join {
        sender_id: "evil".into(),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    };
    assert!(matches!(
        b.receive(&again.encode()),
        Err(NetError::Protocol(_))
    ));
}

#[test]
fn a_peer_that_names_too_many_documents_is_cut_off() {
    let server = store();
    let mut cfg = config(&server, "b", Access::all());
    cfg.max_docs = 3;
    let mut b = Connection::accept(server.clone(), cfg);
    let join = WireMessage::Join {
        sender_id: "evil".into(),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    };
    b.receive(&join.encode()).unwrap();
    let empty = mergedb_engine::Document::new()
        .generate_sync_message(&mut mergedb_engine::SyncState::new())
        .unwrap()
        .encode();
    let mut result = Ok(());
    for i in 0..5u8 {
        let m = WireMessage::Sync {
            sender_id: "evil".into(),
            target_id: "b".into(),
            document_id: DocumentId([i; 16]),
            data: empty.clone(),
        };
        result = b.receive(&m.encode());
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(result, Err(NetError::Protocol(_))));
    assert_eq!(server.list_docs().unwrap().len(), 3);
}

#[test]
fn a_peer_with_another_protocol_version_is_refused() {
    let server = store();
    let mut b = Connection::accept(server.clone(), config(&server, "b", Access::all()));
    let join = WireMessage::Join {
        sender_id: "future".into(),
        supported_protocol_versions: vec!["2".into()],
        metadata: None,
    };
    assert!(matches!(
        b.receive(&join.encode()),
        Err(NetError::Protocol(_))
    ));
    let out = b.take_outgoing();
    assert!(matches!(
        WireMessage::decode(&out[0]).unwrap(),
        WireMessage::Error { .. }
    ));
}
