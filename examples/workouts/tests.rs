//! The tracker on two devices, each with a store of its own, syncing over
//! mutual TLS on loopback as paired devices do on the LAN.

use crate::app::{Row, Workout, Workouts, WORKOUTS_DOC};
use mergedb::engine::store::{Store, StoreOptions};
use mergedb_net::identity::{self, Identity};
use mergedb_net::ws::{self, ServeOptions};
use mergedb_net::Access;
use std::time::Duration;

struct Devices {
    phone: Workouts,
    laptop: Workouts,
    url: String,
    rt: tokio::runtime::Runtime,
}

fn devices() -> Devices {
    let store = || Store::in_memory(StoreOptions::default()).unwrap();
    let (phone, laptop) = (
        Workouts::open(store()).unwrap(),
        Workouts::open(store()).unwrap(),
    );
    let id = |w: &Workouts| Identity::of_store(&w.store).unwrap().id();
    let share = Access::only([WORKOUTS_DOC]);
    identity::pair(&phone.store, &id(&laptop), &share).unwrap();
    identity::pair(&laptop.store, &id(&phone), &share).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("wss://{}", listener.local_addr().unwrap());
    rt.spawn(ws::serve(
        phone.store.clone(),
        listener,
        ServeOptions::default(),
    ));
    Devices {
        phone,
        laptop,
        url,
        rt,
    }
}

impl Devices {
    fn sync(&self) {
        let wait = Duration::from_secs(20);
        self.rt
            .block_on(ws::sync(
                &self.laptop.store,
                &self.url,
                vec![WORKOUTS_DOC],
                wait,
            ))
            .unwrap();
    }
}

fn squat() -> Workout {
    Workout {
        date: "2026-12-03".into(),
        exercise: "squat".into(),
        sets: 5,
        reps: 5,
        weight: 100.0,
        notes: "felt heavy".into(),
    }
}

fn field<'a>(row: &'a Row, name: &str) -> &'a [String] {
    &row.fields.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn workouts_added_offline_on_both_devices_merge() {
    let d = devices();
    let a = d.phone.add(&squat()).unwrap();
    let bench = Workout {
        exercise: "bench press".into(),
        weight: 70.5,
        ..squat()
    };
    let b = d.laptop.add(&bench).unwrap();
    d.sync();
    let (on_phone, on_laptop) = (d.phone.list().unwrap(), d.laptop.list().unwrap());
    assert_eq!(on_phone, on_laptop);
    let ids: Vec<&str> = on_phone.iter().map(|r| r.id.as_str()).collect();
    assert!(
        ids.contains(&a.as_str()) && ids.contains(&b.as_str()),
        "{ids:?}"
    );
    let row = on_phone.iter().find(|r| r.id == b).unwrap();
    assert_eq!(field(row, "weight"), ["70.5"]);
    assert_eq!(field(row, "notes"), ["felt heavy"]);
}

#[test]
fn a_field_edited_on_both_shows_both_values_until_one_is_picked() {
    let d = devices();
    let id = d.phone.add(&squat()).unwrap();
    d.sync();
    d.phone.edit(&id, "reps", "6").unwrap();
    d.laptop.edit(&id, "reps", "4").unwrap();
    d.sync();
    for w in [&d.phone, &d.laptop] {
        let rows = w.list().unwrap();
        let mut reps = field(&rows[0], "reps").to_vec();
        reps.sort();
        assert_eq!(reps, ["4", "6"], "both values show");
    }
    d.laptop.edit(&id, "reps", "6").unwrap();
    d.sync();
    for w in [&d.phone, &d.laptop] {
        assert_eq!(field(&w.list().unwrap()[0], "reps"), ["6"]);
    }
    assert!(d.phone.edit(&id, "reps", "six").is_err());
    assert!(d.phone.edit(&id, "mood", "good").is_err());
    assert!(d.phone.edit("w-nothere", "reps", "1").is_err());
}

#[test]
fn notes_edited_on_both_devices_keep_both_edits() {
    let d = devices();
    let id = d.phone.add(&squat()).unwrap();
    d.sync();
    d.phone.edit(&id, "notes", "Felt heavy").unwrap();
    d.laptop.edit(&id, "notes", "felt heavy, new belt").unwrap();
    d.sync();
    for w in [&d.phone, &d.laptop] {
        assert_eq!(
            field(&w.list().unwrap()[0], "notes"),
            ["Felt heavy, new belt"]
        );
    }
}
