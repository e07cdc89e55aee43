//! `qsslsim ctl`: the control socket's command-line client. Sends one request, prints the
//! reply (or, for `events`, every record until interrupted); exits 1 when the daemon says no.
//! `events` exits 3 right after printing a `{"type":"lagged",...}` record: the client read too
//! slowly and records were lost, which a script must not mistake for a complete stream. A
//! closed stdout (`ctl events | head`) ends the client quietly instead of panicking.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, Clone, clap::Args)]
pub struct CtlArgs {
    /// The daemon's control socket (its --control PATH).
    #[arg(long, value_name = "PATH")]
    pub control: PathBuf,
    #[command(subcommand)]
    pub verb: Verb,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Verb {
    /// Inject a fault now, e.g. '{"kind":"pdp_lost","ctx":1}' (see docs/faults.md).
    Fault { json: String },
    /// Set the DTR pin's level.
    Dtr {
        #[arg(value_parser = ["low", "high"])]
        level: String,
    },
    /// Set the module clock: RFC 3339 or yy/MM/dd,hh:mm:ss±zz.
    Clock { time: String },
    /// Print the module's state as JSON.
    State,
    /// Print trace records as they happen.
    Events,
}

pub async fn run(args: CtlArgs) -> i32 {
    let request = match &args.verb {
        Verb::Fault { json: text } => match serde_json::from_str::<Value>(text) {
            Ok(fault) => json!({ "verb": "fault", "fault": fault }),
            Err(e) => {
                eprintln_quiet(&format!("qsslsim ctl: the fault is not JSON: {e}"));
                return 2;
            }
        },
        Verb::Dtr { level } => json!({ "verb": "dtr", "level": level }),
        Verb::Clock { time } => json!({ "verb": "clock", "time": time }),
        Verb::State => json!({ "verb": "state" }),
        Verb::Events => json!({ "verb": "events" }),
    };
    let stream = match tokio::net::UnixStream::connect(&args.control).await {
        Ok(s) => s,
        Err(e) => {
            eprintln_quiet(&format!("qsslsim ctl: cannot connect to {}: {e}", args.control.display()));
            return 1;
        }
    };
    let (read, mut write) = stream.into_split();
    let mut line = request.to_string();
    line.push('\n');
    if let Err(e) = write.write_all(line.as_bytes()).await {
        eprintln_quiet(&format!("qsslsim ctl: {e}"));
        return 1;
    }
    let mut lines = BufReader::new(read).lines();
    let Ok(Some(first)) = lines.next_line().await else {
        eprintln_quiet("qsslsim ctl: no reply");
        return 1;
    };
    let reply: Value = serde_json::from_str(&first).unwrap_or(Value::Null);
    if reply["ok"] != Value::Bool(true) {
        eprintln_quiet(&format!("qsslsim ctl: {}", reply["error"].as_str().unwrap_or(&first)));
        return 1;
    }
    match args.verb {
        Verb::State => {
            say(&serde_json::to_string_pretty(&reply["state"]).unwrap_or_default());
        }
        Verb::Events => {
            while let Ok(Some(record)) = lines.next_line().await {
                if !say(&record) {
                    return 0;
                }
                let value: Value = serde_json::from_str(&record).unwrap_or(Value::Null);
                if value["type"] == "lagged" {
                    let lost = &value["lost"];
                    eprintln_quiet(&format!(
                        "qsslsim ctl: {lost} trace records were lost: this client read too slowly"
                    ));
                    return 3;
                }
            }
        }
        _ => {
            say(&first);
        }
    }
    0
}

/// A line on stdout; false if stdout is gone (the reader closed the pipe).
fn say(line: &str) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

/// A line on stderr, ignoring a closed stderr.
fn eprintln_quiet(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
