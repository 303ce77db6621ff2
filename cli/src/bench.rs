//! `mergedb bench`: runs `run` and prints its figures, as a table
//! or as one JSON object, with a progress bar on a terminal.

use crate::run::{self as bench, Config, Report};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Duration;

/// The options of `mergedb bench`.
#[derive(clap::Args)]
pub struct Args {
    /// A trace in the format of ../shared/traces (.json or .json.gz); without
    /// one, a generated typing session.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Keystrokes of the generated session.
    #[arg(long, default_value_t = 260_000)]
    keystrokes: usize,
    /// Seed of the generated session.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<(), String> {
    let config = Config {
        trace: args.trace.clone(),
        keystrokes: args.keystrokes,
        seed: args.seed,
        dir: None,
    };
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::new(1);
    let style = ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} {elapsed}")
        .map(|s| s.progress_chars("=> "));
    if let Ok(style) = style {
        bar.set_style(style);
    }
    let mut progress = |phase: &str, done: u64, total: u64| {
        if bar.message() != phase {
            bar.set_message(phase.to_string());
            bar.set_length(total);
        }
        bar.set_position(done);
    };
    let report = bench::run(&config, &mut progress).map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    if args.json {
        outln!("{}", report.to_json());
    } else {
        print_table(&report);
    }
    Ok(())
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1e3)
    } else {
        format!("{ms:.1} ms")
    }
}

fn print_table(r: &Report) {
    let rows = [
        ("session", r.source.clone()),
        (
            "keystrokes",
            format!("{} (final text {} chars)", r.keystrokes, r.final_chars),
        ),
        (
            "ingest, to durable",
            format!(
                "{} ({:.0} commits/s, {} group fsyncs)",
                ms(r.ingest),
                r.commits_per_sec(),
                r.fsyncs
            ),
        ),
        (
            "log bytes per change",
            format!(
                "{:.1} (redb file: {:.0})",
                r.log_bytes_per_change, r.file_bytes_per_change
            ),
        ),
        ("compaction", ms(r.compaction)),
        ("snapshot bytes", r.snapshot_bytes.to_string()),
        ("open", ms(r.open)),
        ("first read of the text", ms(r.first_read)),
        ("full load, ready to merge", ms(r.full_load)),
        (
            "peak RSS",
            r.peak_rss_bytes
                .map_or("n/a".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0)),
        ),
    ];
    for (name, value) in rows {
        outln!("{name:<28} {value}");
    }
    outln!("text checked against the session's own: equal, lazily and after a full load");
}
