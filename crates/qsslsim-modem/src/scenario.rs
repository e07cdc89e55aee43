//! Scenario files: TOML rules that map triggers to faults from the one vocabulary
//! ([`Fault`]). A trigger is a command line matching a pattern, an open to a host/port, a
//! number of bytes sent or received on a connection, a time since start, or a time since an
//! event; a rule fires once or, with `repeat = true`, every time. `after_ms` delays any
//! trigger. Loading rejects a bad file with the line and the problem.
//!
//! ```toml
//! [[rule]]
//! when = { open = "192.0.2.2:8010" }
//! fault = { kind = "refuse_connect" }
//!
//! [[rule]]
//! when = { received_bytes = 1000, socket = 4 }
//! fault = { kind = "server_close", socket = 4 }
//! repeat = true
//! ```

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::fault::Fault;

/// Events a rule can count time from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An open was accepted (`AT+QSSLOPEN`).
    Open,
    /// A connection came up.
    Connected,
    /// An open failed.
    OpenFailed,
    /// A connection ended without the host asking.
    Closed,
    /// `SEND OK`.
    SendOk,
    /// Data arrived from a server.
    Recv,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    rule: Vec<toml::Spanned<RuleSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    when: When,
    fault: Fault,
    #[serde(default)]
    repeat: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct When {
    command: Option<String>,
    open: Option<String>,
    sent_bytes: Option<u64>,
    received_bytes: Option<u64>,
    at_ms: Option<u64>,
    after_event: Option<EventKind>,
    socket: Option<u8>,
    after_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Trigger {
    Command(String),
    Open(String),
    Sent(u64),
    Received(u64),
    Start,
    Event(EventKind),
}

#[derive(Debug, Clone)]
struct Rule {
    trigger: Trigger,
    socket: Option<u8>,
    delay: Duration,
    fault: Fault,
    repeat: bool,
    fired: bool,
    /// Connection serial a byte trigger last fired on.
    fired_conn: Option<u64>,
}

/// A loaded scenario with its firing state.
#[derive(Debug, Clone)]
pub struct Scenario {
    rules: Vec<Rule>,
    /// Faults waiting for their delay.
    scheduled: Vec<(Instant, Fault)>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

impl Scenario {
    /// Parse a scenario file; errors name the line and the problem.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let spec: FileSpec = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            format!("line {line}: {}", e.message())
        })?;
        let mut rules = Vec::new();
        for spanned in spec.rule {
            let line = line_of(text, spanned.span().start);
            let r = spanned.into_inner();
            let w = r.when;
            let mut triggers = Vec::new();
            if let Some(c) = w.command {
                triggers.push(Trigger::Command(c));
            }
            if let Some(o) = w.open {
                triggers.push(Trigger::Open(o));
            }
            if let Some(n) = w.sent_bytes {
                triggers.push(Trigger::Sent(n));
            }
            if let Some(n) = w.received_bytes {
                triggers.push(Trigger::Received(n));
            }
            if w.at_ms.is_some() {
                if w.after_ms.is_some() {
                    return Err(format!("line {line}: at_ms already is a time since start; drop after_ms"));
                }
                triggers.push(Trigger::Start);
            }
            if let Some(e) = w.after_event {
                triggers.push(Trigger::Event(e));
            }
            let trigger = match triggers.len() {
                1 => triggers.remove(0),
                0 => {
                    return Err(format!(
                        "line {line}: rule has no trigger (one of command, open, sent_bytes, received_bytes, at_ms, after_event)"
                    ))
                }
                _ => return Err(format!("line {line}: rule has more than one trigger; split it into several rules")),
            };
            if let Some(s) = w.socket {
                if s > 11 {
                    return Err(format!("line {line}: socket {s} is out of range 0-11"));
                }
                if matches!(trigger, Trigger::Command(_) | Trigger::Open(_) | Trigger::Start) {
                    return Err(format!("line {line}: socket applies only to byte and event triggers"));
                }
            }
            if let Trigger::Command(p) | Trigger::Open(p) = &trigger {
                if p.is_empty() {
                    return Err(format!("line {line}: empty pattern"));
                }
            }
            let delay = Duration::from_millis(w.at_ms.or(w.after_ms).unwrap_or(0));
            rules.push(Rule {
                trigger,
                socket: w.socket,
                delay,
                fault: r.fault,
                repeat: r.repeat,
                fired: false,
                fired_conn: None,
            });
        }
        Ok(Scenario { rules, scheduled: Vec::new() })
    }

    /// Arm the time-since-start rules.
    pub fn start(&mut self, now: Instant) {
        for i in 0..self.rules.len() {
            if self.rules[i].trigger == Trigger::Start {
                self.fire(i, now);
            }
        }
    }

    fn fire(&mut self, i: usize, now: Instant) -> Option<Fault> {
        let rule = &mut self.rules[i];
        if rule.fired && !rule.repeat {
            return None;
        }
        rule.fired = true;
        if rule.delay.is_zero() {
            Some(rule.fault.clone())
        } else {
            self.scheduled.push((now + rule.delay, rule.fault.clone()));
            None
        }
    }

    fn fire_matching(&mut self, now: Instant, mut matches: impl FnMut(&Rule) -> bool) -> Vec<Fault> {
        let hits: Vec<usize> = (0..self.rules.len()).filter(|&i| matches(&self.rules[i])).collect();
        hits.into_iter().filter_map(|i| self.fire(i, now)).collect()
    }

    /// A command line the host sent.
    pub fn on_command(&mut self, line: &str, now: Instant) -> Vec<Fault> {
        self.fire_matching(now, |r| matches!(&r.trigger, Trigger::Command(p) if glob(p, line.trim())))
    }

    /// An open to `host`:`port`.
    pub fn on_open(&mut self, host: &str, port: u16, now: Instant) -> Vec<Fault> {
        let target = format!("{host}:{port}");
        self.fire_matching(now, |r| match &r.trigger {
            Trigger::Open(p) if p.contains(':') => glob(p, &target),
            Trigger::Open(p) => glob(p, host),
            _ => false,
        })
    }

    /// Byte totals of connection `conn` on socket `id` changed.
    pub fn on_bytes(&mut self, id: u8, conn: u64, sent: u64, received: u64, now: Instant) -> Vec<Fault> {
        let hits: Vec<usize> = (0..self.rules.len())
            .filter(|&i| {
                let r = &self.rules[i];
                let reached = match r.trigger {
                    Trigger::Sent(n) => sent >= n,
                    Trigger::Received(n) => received >= n,
                    _ => false,
                };
                reached && r.socket.is_none_or(|s| s == id) && r.fired_conn != Some(conn)
            })
            .collect();
        let mut out = Vec::new();
        for i in hits {
            self.rules[i].fired_conn = Some(conn);
            out.extend(self.fire(i, now));
        }
        out
    }

    /// Something happened on socket `id`.
    pub fn on_event(&mut self, kind: EventKind, id: u8, now: Instant) -> Vec<Fault> {
        self.fire_matching(now, |r| r.trigger == Trigger::Event(kind) && r.socket.is_none_or(|s| s == id))
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.scheduled.iter().map(|(t, _)| *t).min()
    }

    /// Delayed faults whose time has come, in time order.
    pub fn due(&mut self, now: Instant) -> Vec<Fault> {
        self.scheduled.sort_by_key(|(t, _)| *t);
        let n = self.scheduled.iter().take_while(|(t, _)| *t <= now).count();
        self.scheduled.drain(..n).map(|(_, f)| f).collect()
    }
}

/// Case-insensitive glob with `*` (any run) and `?` (one character).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_uppercase().chars().collect();
    let t: Vec<char> = text.to_ascii_uppercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_a_shell() {
        assert!(glob("AT+QSSLSEND=*", "at+qsslsend=4,18"));
        assert!(glob("192.0.2.?:80*", "192.0.2.2:8010"));
        assert!(!glob("AT+QSSLSEND=*", "AT+QSSLRECV=4,1500"));
        assert!(glob("*", ""));
        assert!(!glob("a", ""));
    }

    #[test]
    fn rules_fire_once_unless_repeated() {
        let mut s = Scenario::parse(
            r#"
[[rule]]
when = { command = "AT+QSSLSEND=*" }
fault = { kind = "send_buffer_full" }

[[rule]]
when = { open = "*:8010" }
fault = { kind = "refuse_connect" }
repeat = true
"#,
        )
        .unwrap();
        let now = Instant::now();
        assert_eq!(
            s.on_command("AT+QSSLSEND=1,5", now),
            vec![Fault::SendBufferFull { socket: None, count: None }]
        );
        assert!(s.on_command("AT+QSSLSEND=1,5", now).is_empty());
        assert_eq!(s.on_open("192.0.2.2", 8010, now), vec![Fault::RefuseConnect]);
        assert_eq!(s.on_open("192.0.2.2", 8010, now), vec![Fault::RefuseConnect]);
        assert!(s.on_open("192.0.2.2", 8011, now).is_empty());
    }

    #[test]
    fn byte_thresholds_fire_once_per_connection_and_delays_schedule() {
        let mut s = Scenario::parse(
            r#"
[[rule]]
when = { received_bytes = 100, socket = 2, after_ms = 50 }
fault = { kind = "connection_reset", socket = 2 }
repeat = true
"#,
        )
        .unwrap();
        let now = Instant::now();
        assert!(s.on_bytes(2, 7, 0, 99, now).is_empty());
        assert!(s.on_bytes(2, 7, 0, 100, now).is_empty());
        assert_eq!(s.next_deadline(), Some(now + Duration::from_millis(50)));
        assert!(s.on_bytes(2, 7, 0, 200, now).is_empty());
        assert_eq!(s.due(now + Duration::from_millis(50)), vec![Fault::ConnectionReset { socket: Some(2) }]);
        assert!(s.on_bytes(3, 8, 0, 500, now).is_empty());
        s.on_bytes(2, 9, 0, 100, now);
        assert_eq!(s.scheduled.len(), 1);
    }

    #[test]
    fn bad_files_name_the_line_and_the_problem() {
        let cases = [
            ("[[rule]]\nwhen = { command = \"AT\" }\n", "line 1: missing field `fault`"),
            ("\n\n[[rule]]\nwhen = {}\nfault = { kind = \"dns_busy\" }\n", "line 3: rule has no trigger"),
            (
                "[[rule]]\nwhen = { command = \"AT\" }\nfault = { kind = \"nope\" }\n",
                "line 3: unknown variant `nope`",
            ),
            (
                "[[rule]]\nwhen = { command = \"AT\", open = \"x\" }\nfault = { kind = \"dns_busy\" }\n",
                "line 1: rule has more than one trigger",
            ),
            (
                "[[rule]]\nwhen = { sent_bytes = 5, socket = 12 }\nfault = { kind = \"dns_busy\" }\n",
                "line 1: socket 12 is out of range",
            ),
            (
                "[[rule]]\nwhen = { colour = \"red\" }\nfault = { kind = \"dns_busy\" }\n",
                "line 2: unknown field `colour`",
            ),
            ("[[rule]\n", "line 1:"),
        ];
        for (text, want) in cases {
            let err = Scenario::parse(text).unwrap_err();
            assert!(err.starts_with(want), "{text:?}: got {err:?}, want {want:?}");
        }
    }
}

#[cfg(test)]
mod fixture_tests {
    #[test]
    fn shipped_example_scenarios_load() {
        for text in [
            include_str!("../../../fixtures/scenarios/flaky-network.toml"),
            include_str!("../../../fixtures/scenarios/slow-link.toml"),
        ] {
            super::Scenario::parse(text).unwrap();
        }
    }
}
