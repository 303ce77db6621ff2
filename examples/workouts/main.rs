//! The workout tracker that mergedb started from: a phone and a laptop
//! hold the same workouts and sync directly, with no server. See README,
//! "Two devices, no server".
//!
//!     cargo run --example workouts -- --db DIR add DATE EXERCISE SETS REPS WEIGHT [NOTES]
//!     cargo run --example workouts -- --db DIR list
//!     cargo run --example workouts -- --db DIR edit ID FIELD VALUE   (also: picks a value)
//!     cargo run --example workouts -- --db DIR id | pair DEVICE
//!     cargo run --example workouts -- --db DIR serve [PORT]          (announces on the LAN)
//!     cargo run --example workouts -- --db DIR sync                  (finds paired devices)

mod app;
mod net;

use app::{Result, Workout, Workouts};
use mergedb::engine::store::Store;

fn usage() -> String {
    "usage: workouts --db DIR add DATE EXERCISE SETS REPS WEIGHT [NOTES] | list \
     | edit ID FIELD VALUE | id | pair DEVICE | serve [PORT] | sync"
        .into()
}

fn number<T: std::str::FromStr>(what: &str, text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| format!("{what} must be a number, not {text:?}"))
}

fn run(args: &[String]) -> Result<()> {
    let [flag, db, command, rest @ ..] = args else {
        return Err(usage());
    };
    if flag != "--db" {
        return Err(usage());
    }
    let store = Store::open(std::path::Path::new(db)).map_err(|e| e.to_string())?;
    let app = Workouts::open(store)?;
    match (command.as_str(), rest) {
        ("add", [date, exercise, sets, reps, weight, notes @ ..]) if notes.len() <= 1 => {
            let w = Workout {
                date: date.clone(),
                exercise: exercise.clone(),
                sets: number("sets", sets)?,
                reps: number("reps", reps)?,
                weight: number("weight", weight)?,
                notes: notes.first().cloned().unwrap_or_default(),
            };
            println!("{}", app.add(&w)?);
        }
        ("list", []) => {
            for row in app.list()? {
                let fields: Vec<String> = row
                    .fields
                    .iter()
                    .map(|(name, values)| match values.len() {
                        1 => format!("{name}={}", values[0]),
                        _ => format!(
                            "{name}={} (conflict: pick one with edit)",
                            values.join(" | ")
                        ),
                    })
                    .collect();
                println!("{} {}", row.id, fields.join(" "));
            }
        }
        ("edit", [id, field, value]) => app.edit(id, field, value)?,
        ("id", []) => println!("{}", net::device_id(&app.store)?),
        ("pair", [device]) => net::pair(&app.store, device)?,
        ("serve", port) if port.len() <= 1 => {
            let port = match port.first() {
                Some(p) => number("port", p)?,
                None => 7411,
            };
            net::serve(&app.store, port)?
        }
        ("sync", []) => net::sync(&app.store)?,
        _ => return Err(usage()),
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("workouts: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests;
