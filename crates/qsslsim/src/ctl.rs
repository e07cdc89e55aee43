//! `qsslsim ctl`: the control socket's command-line client. Sends one request, prints the
//! reply (or, for `events`, every record until interrupted); exits 1 when the daemon says no
//! (the daemon's reason on stderr). `events` exits 3 right after printing a
//! `{"type":"lagged",...}` record: the client read too slowly and records were lost, which a
//! script must not mistake for a complete stream. A closed stdout (`ctl events | head`) ends
//! the client quietly instead of panicking.
//!
//! The socket comes from `--control PATH` (before or after the verb) or, when that is absent,
//! the environment variable `QSSLSIM_CONTROL`. Faults are written `KIND [field=value ...]` or as
//! the JSON object; [`FAULT_KINDS`] is the table `ctl --help` prints.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The environment variable read when `--control` is absent.
pub const CONTROL_ENV: &str = "QSSLSIM_CONTROL";

#[derive(Debug, Clone, clap::Args)]
pub struct CtlArgs {
    /// The daemon's control socket (its --control PATH); default: $QSSLSIM_CONTROL.
    #[arg(long, value_name = "PATH", global = true)]
    pub control: Option<PathBuf>,
    #[command(subcommand)]
    pub verb: Verb,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Verb {
    /// Inject a fault now: KIND [field=value ...] or a JSON object (the kinds are listed below).
    ///
    /// E.g. `server_close socket=1 after_bytes=3`, or '{"kind":"pdp_lost","ctx":1}'.
    #[command(after_help = fault_help())]
    Fault {
        #[arg(required = true, num_args = 1.., value_name = "KIND [FIELD=VALUE]... | JSON")]
        words: Vec<String>,
    },
    /// Assert (`on`) or drop (`off`) DTR, as pyserial's `dtr = True/False`. The pin words
    /// `low` (asserted) and `high` (dropped) are accepted too.
    Dtr {
        #[arg(value_parser = ["on", "off", "low", "high"])]
        level: String,
    },
    /// Set the module clock: RFC 3339 or yy/MM/dd,hh:mm:ss±zz.
    Clock { time: String },
    /// Print the module's state as JSON.
    State,
    /// Print trace records as they happen.
    Events,
}

/// Every fault kind: (kind, fields, what it does). A field ending in `?` is optional.
/// docs/faults.md has the full table; a unit test checks this one against `Fault`.
pub const FAULT_KINDS: &[(&str, &[&str], &str)] = &[
    ("refuse_connect", &[], "the next open's TCP connect is refused (566)"),
    ("dns_failure", &[], "the next lookup by name (open, QIDNSGIP, QPING, QNTP) fails (565)"),
    ("dns_busy", &[], "the next lookup by name (open, QIDNSGIP, QPING, QNTP) finds DNS busy (564)"),
    ("handshake_stall", &[], "the next open's server never answers the ClientHello (569)"),
    ("handshake_alert", &[], "the next open's server answers with a fatal alert (566)"),
    ("connect_stall", &[], "the next open's TCP connect is never answered: 566 after 150 s"),
    (
        "server_close",
        &["socket?", "after_bytes?", "after_ms?"],
        "the server closes now, after N more bytes, or after ms",
    ),
    ("connection_reset", &["socket?"], "the connection is reset"),
    ("pdp_lost", &["ctx"], "the network drops PDP context ctx (1-15)"),
    ("latency", &["socket?", "ms"], "every chunk each way delayed by ms (0 clears; max 60000)"),
    ("bandwidth", &["socket?", "bytes_per_sec"], "both directions paced to this rate (0 clears)"),
    ("send_buffer_full", &["socket?", "count?"], "the next count sends answer SEND FAIL"),
    ("receive_stall", &["socket?", "ms?"], "nothing from the server for ms (absent: until ms=0)"),
    ("datagram_loss", &["socket?", "count?"], "UDP: the next count datagrams to the socket are lost"),
    ("datagram_duplicate", &["socket?", "count?"], "UDP: the next count datagrams arrive twice"),
    ("datagram_reorder", &["socket?"], "UDP: the next two datagrams arrive swapped"),
    ("urc_delay", &["ms"], "every URC held back ms longer (0 clears; max 60000)"),
    ("module_restart", &[], "the module restarts and says RDY"),
    ("deregister", &["stat?"], "the module loses registration (stat 0, 2, 3 or 4); PDP contexts go"),
    ("register", &[], "the module registers again on its home network"),
    ("roam", &[], "the module registers on a visited network (stat 5)"),
    ("signal", &["rssi"], "the signal level AT+CSQ reports (0-31, 99 unknown)"),
    ("sim_removed", &[], "the SIM is pulled out: +CPIN: NOT READY, registration lost"),
    ("sim_inserted", &[], "a SIM is put back: +CPIN: READY (or SIM PIN) and registration"),
    ("power_off", &[], "the supply is switched off: POWERED DOWN, then silence"),
    ("power_on", &[], "the module is switched on again, with its boot output"),
    (
        "command_error",
        &["command", "code", "count?"],
        "the next count runs of an SSL/TCP command fail with code 550-574",
    ),
];

/// The text after `ctl fault --help` (and `ctl --help`): the kinds and their fields.
pub fn fault_help() -> String {
    let mut text = String::from(
        "Fault kinds (socket absent = every connected socket; `?` = optional; docs/faults.md):\n",
    );
    for (kind, fields, what) in FAULT_KINDS {
        let fields: Vec<String> = fields
            .iter()
            .map(|f| match f.strip_suffix('?') {
                Some(name) => format!("[{name}=N]"),
                None if *f == "command" => format!("{f}=AT+QSSLSEND"),
                None => format!("{f}=N"),
            })
            .collect();
        let usage = std::iter::once(kind.to_string()).chain(fields).collect::<Vec<_>>().join(" ");
        text.push_str(&format!("  {usage:<52} {what}\n"));
    }
    text.push_str(
        "\nValues: numbers become JSON numbers, true/false booleans, anything else a string.\n\
         Example: qsslsim ctl fault server_close socket=1 after_bytes=3\n\n\
         DTR: `ctl dtr on` asserts DTR and `ctl dtr off` drops it, as pyserial's dtr=True/False.\n\
         The pin levels are `low` (asserted) and `high` (dropped): off/high with AT&D1 leaves\n\
         transparent mode, with AT&D2 closes the connection.\n\n\
         The socket: --control PATH (before or after the verb), else $QSSLSIM_CONTROL.\n\
         Exit status: 0 done, 1 the daemon said no (its reason on stderr) or is unreachable,\n\
         2 bad arguments, 3 `events` lost records.",
    );
    text
}

/// `KIND field=value ...` (or one JSON object) as the fault's JSON.
pub fn fault_json(words: &[String]) -> Result<Value, String> {
    let first = words.first().map(String::as_str).unwrap_or("");
    if first.trim_start().starts_with('{') {
        let text = words.join(" ");
        return serde_json::from_str::<Value>(&text).map_err(|e| format!("the fault is not JSON: {e}"));
    }
    let mut fault = Map::new();
    fault.insert("kind".into(), Value::String(first.to_string()));
    for word in &words[1..] {
        let Some((field, value)) = word.split_once('=') else {
            return Err(format!("{word:?}: expected field=value, e.g. socket=1"));
        };
        if field.is_empty() {
            return Err(format!("{word:?}: expected field=value, e.g. socket=1"));
        }
        fault.insert(field.to_string(), field_value(value));
    }
    Ok(Value::Object(fault))
}

/// Numbers become JSON numbers, `true`/`false` booleans, anything else a string.
fn field_value(text: &str) -> Value {
    if let Ok(n) = text.parse::<u64>() {
        Value::from(n)
    } else if let Ok(n) = text.parse::<i64>() {
        Value::from(n)
    } else if text == "true" || text == "false" {
        Value::Bool(text == "true")
    } else {
        Value::String(text.to_string())
    }
}

/// The pin level for a DTR word: asserted (`on`) is `low`, dropped (`off`) is `high`.
pub fn dtr_level(word: &str) -> &'static str {
    match word {
        "on" | "low" => "low",
        _ => "high",
    }
}

pub async fn run(args: CtlArgs) -> i32 {
    let Some(control) = args.control.clone().or_else(|| std::env::var_os(CONTROL_ENV).map(PathBuf::from))
    else {
        eprintln_quiet(&format!(
            "qsslsim ctl: no control socket: pass --control PATH (the daemon's --control) or set {CONTROL_ENV}"
        ));
        return 2;
    };
    let request = match &args.verb {
        Verb::Fault { words } => match fault_json(words) {
            Ok(fault) => json!({ "verb": "fault", "fault": fault }),
            Err(e) => {
                eprintln_quiet(&format!("qsslsim ctl: {e}"));
                return 2;
            }
        },
        Verb::Dtr { level } => json!({ "verb": "dtr", "level": dtr_level(level) }),
        Verb::Clock { time } => json!({ "verb": "clock", "time": time }),
        Verb::State => json!({ "verb": "state" }),
        Verb::Events => json!({ "verb": "events" }),
    };
    let stream = match tokio::net::UnixStream::connect(&control).await {
        Ok(s) => s,
        Err(e) => {
            eprintln_quiet(&format!("qsslsim ctl: cannot connect to {}: {e}", control.display()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use qsslsim_modem::Fault;

    /// An example value for a field of the table.
    fn example(field: &str) -> Value {
        match field {
            "command" => Value::from("AT+QSSLSEND"),
            "code" => Value::from(552),
            "ctx" => Value::from(1),
            _ => Value::from(1),
        }
    }

    #[test]
    fn every_kind_in_the_table_parses_as_a_fault_with_and_without_its_optional_fields() {
        for (kind, fields, _) in FAULT_KINDS {
            let mut required = Map::new();
            required.insert("kind".into(), Value::from(*kind));
            let mut all = required.clone();
            for f in *fields {
                match f.strip_suffix('?') {
                    Some(name) => {
                        all.insert(name.into(), example(name));
                    }
                    None => {
                        required.insert(f.to_string(), example(f));
                        all.insert(f.to_string(), example(f));
                    }
                }
            }
            for value in [Value::Object(required), Value::Object(all)] {
                let fault: Fault =
                    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"));
                assert_eq!(fault.name(), *kind);
            }
        }
    }

    #[test]
    fn the_table_lists_exactly_the_kinds_serde_knows() {
        // serde names every variant in its "unknown variant" error.
        let e = serde_json::from_str::<Fault>(r#"{"kind":"no_such_kind"}"#).unwrap_err().to_string();
        let listed = e.split("expected one of").nth(1).unwrap_or_else(|| panic!("{e}"));
        let mut known: Vec<&str> = listed.split('`').skip(1).step_by(2).collect();
        let mut table: Vec<&str> = FAULT_KINDS.iter().map(|(k, _, _)| *k).collect();
        known.sort_unstable();
        table.sort_unstable();
        assert_eq!(table, known);
    }

    #[test]
    fn words_become_json() {
        let words: Vec<String> =
            ["server_close", "socket=1", "after_bytes=3"].iter().map(|s| s.to_string()).collect();
        assert_eq!(fault_json(&words).unwrap(), json!({"kind":"server_close","socket":1,"after_bytes":3}));
        let words: Vec<String> = ["command_error", "command=AT+QSSLSEND", "code=552", "x=true", "y=-2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            fault_json(&words).unwrap(),
            json!({"kind":"command_error","command":"AT+QSSLSEND","code":552,"x":true,"y":-2})
        );
        let json = vec![r#"{"kind":"pdp_lost","ctx":1}"#.to_string()];
        assert_eq!(fault_json(&json).unwrap(), json!({"kind":"pdp_lost","ctx":1}));
        assert!(fault_json(&["latency".to_string(), "ms".to_string()]).is_err());
    }

    #[test]
    fn dtr_words_follow_pyserial() {
        assert_eq!(dtr_level("on"), "low");
        assert_eq!(dtr_level("off"), "high");
        assert_eq!(dtr_level("low"), "low");
        assert_eq!(dtr_level("high"), "high");
    }
}
