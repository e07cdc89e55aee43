//! Scenario files: TOML rules that map triggers to faults from the one vocabulary
//! ([`Fault`]). A trigger is a command line matching a pattern, an open to a host/port, a
//! number of bytes sent or received on a connection, a time since start, or a time since an
//! event; a rule fires once or, with `repeat = true`, every time. `after_ms` delays any
//! trigger. Loading rejects a bad file with the line and the problem.
//!
//! Cost: loading is linear in the file (line numbers come from one index of line starts; a big
//! file is parsed in pieces of [`RULES_PER_PIECE`] rules, so memory stays at one piece's TOML
//! document), each trigger looks only at the rules of its kind, and delayed faults wait in a
//! heap keyed by due time. A repeating rule with a delay holds at most [`MAX_PENDING_PER_RULE`] pending
//! faults (and all rules together [`MAX_PENDING`]); triggers past that are dropped with a
//! logged warning rather than queued without bound.
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

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tracing::warn;

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

/// Pending delayed faults one rule may hold; more triggers while it is full are dropped
/// (with a warning).
pub const MAX_PENDING_PER_RULE: u32 = 1024;
/// Pending delayed faults of all rules together.
pub const MAX_PENDING: usize = 65_536;

#[derive(Debug, Clone)]
struct Rule {
    /// Line of the `[[rule]]` in the file, for warnings.
    line: usize,
    trigger: Trigger,
    socket: Option<u8>,
    delay: Duration,
    fault: Fault,
    repeat: bool,
    fired: bool,
    /// Connection serial a byte trigger last fired on.
    fired_conn: Option<u64>,
    /// Its faults waiting in `scheduled`.
    pending: u32,
    /// Triggers dropped because the rule (or the whole queue) was full.
    dropped: u64,
}

/// A fault waiting for its delay: ordered by due time, then by when it was scheduled.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    due: Instant,
    seq: u64,
    rule: usize,
}

/// Rule numbers by trigger kind, so a trigger looks only at the rules it can fire.
#[derive(Debug, Clone, Default)]
struct Index {
    command: Vec<usize>,
    open: Vec<usize>,
    bytes: Vec<usize>,
    start: Vec<usize>,
    event: Vec<(EventKind, usize)>,
}

/// `[[rule]]` tables parsed at a time. The `toml` crate builds a document of the whole input
/// before deserializing it (about 4 KB a rule), so a big file is parsed in pieces that each
/// start at a `[[rule]]` header: memory stays at one piece's document.
pub const RULES_PER_PIECE: usize = 1024;

/// Every rule of the file with the line it starts on.
fn parse_rules(text: &str, lines: &LineIndex) -> Result<Vec<(usize, RuleSpec)>, String> {
    let starts = piece_starts(text, lines);
    if starts.len() > 1 {
        let mut rules = Vec::new();
        let mut whole = true;
        for (k, &from) in starts.iter().enumerate() {
            let to = starts.get(k + 1).copied().unwrap_or(text.len());
            match toml::from_str::<FileSpec>(&text[from..to]) {
                Ok(spec) => rules.extend(
                    spec.rule.into_iter().map(|r| (lines.line_of(from + r.span().start), r.into_inner())),
                ),
                Err(_) => {
                    whole = false;
                    break;
                }
            }
        }
        if whole {
            return Ok(rules);
        }
        // A piece did not parse: the whole file decides (and names the line of any error),
        // so splitting can never change what a file means.
    }
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| lines.line_of(s.start)).unwrap_or(0);
        format!("line {line}: {}", e.message())
    })?;
    Ok(spec.rule.into_iter().map(|r| (lines.line_of(r.span().start), r.into_inner())).collect())
}

/// Byte offsets where pieces of [`RULES_PER_PIECE`] rules start: 0, then the start of every
/// `RULES_PER_PIECE`-th `[[rule]]` header line.
fn piece_starts(text: &str, lines: &LineIndex) -> Vec<usize> {
    let mut starts = vec![0];
    let mut headers = 0usize;
    let line_starts = std::iter::once(0).chain(lines.0.iter().map(|&nl| nl + 1));
    for start in line_starts {
        let line = text[start..].split('\n').next().unwrap_or("");
        let is_header = line
            .trim()
            .strip_prefix("[[")
            .and_then(|l| l.split(']').next())
            .is_some_and(|name| matches!(name.trim(), "rule" | "\"rule\"" | "'rule'"));
        if is_header {
            if headers > 0 && headers.is_multiple_of(RULES_PER_PIECE) {
                starts.push(start);
            }
            headers += 1;
        }
    }
    starts
}

/// A loaded scenario with its firing state.
#[derive(Debug, Clone)]
pub struct Scenario {
    rules: Vec<Rule>,
    index: Index,
    /// Upper-cased command and open patterns, by rule number (empty for other triggers).
    patterns: Vec<Vec<char>>,
    /// Faults waiting for their delay, soonest on top.
    scheduled: BinaryHeap<Reverse<Pending>>,
    seq: u64,
}

/// Byte offsets of every line break, so a line number costs a binary search instead of a scan
/// from the top (which made loading quadratic in the number of rules).
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        LineIndex(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i).collect())
    }

    /// 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

impl Scenario {
    /// Parse a scenario file; errors name the line and the problem.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let lines = LineIndex::new(text);
        let specs = parse_rules(text, &lines)?;
        let mut rules = Vec::with_capacity(specs.len());
        let mut patterns = Vec::with_capacity(specs.len());
        let mut by_kind = Index::default();
        for (line, r) in specs {
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
            let index = rules.len();
            match &trigger {
                Trigger::Command(p) | Trigger::Open(p) => patterns.push(upper_chars(p)),
                _ => patterns.push(Vec::new()),
            }
            match trigger {
                Trigger::Command(_) => by_kind.command.push(index),
                Trigger::Open(_) => by_kind.open.push(index),
                Trigger::Sent(_) | Trigger::Received(_) => by_kind.bytes.push(index),
                Trigger::Start => by_kind.start.push(index),
                Trigger::Event(kind) => by_kind.event.push((kind, index)),
            }
            rules.push(Rule {
                line,
                trigger,
                socket: w.socket,
                delay,
                fault: r.fault,
                repeat: r.repeat,
                fired: false,
                fired_conn: None,
                pending: 0,
                dropped: 0,
            });
        }
        Ok(Scenario { rules, index: by_kind, patterns, scheduled: BinaryHeap::new(), seq: 0 })
    }

    /// Arm the time-since-start rules.
    pub fn start(&mut self, now: Instant) {
        for k in 0..self.index.start.len() {
            let i = self.index.start[k];
            self.fire(i, now);
        }
    }

    fn fire(&mut self, i: usize, now: Instant) -> Option<Fault> {
        let rule = &mut self.rules[i];
        if rule.fired && !rule.repeat {
            return None;
        }
        rule.fired = true;
        if rule.delay.is_zero() {
            return Some(rule.fault.clone());
        }
        if rule.pending >= MAX_PENDING_PER_RULE || self.scheduled.len() >= MAX_PENDING {
            rule.dropped += 1;
            // Warn at 1, 2, 4, 8, ... drops: a flood of triggers cannot flood the log.
            if rule.dropped.is_power_of_two() {
                warn!(
                    line = rule.line,
                    dropped = rule.dropped,
                    pending = rule.pending,
                    "scenario rule triggered while {} of its delayed faults are pending \
                     (at most {MAX_PENDING_PER_RULE} per rule, {MAX_PENDING} in all); trigger dropped",
                    rule.pending
                );
            }
            return None;
        }
        rule.pending += 1;
        self.seq += 1;
        self.scheduled.push(Reverse(Pending { due: now + rule.delay, seq: self.seq, rule: i }));
        None
    }

    /// Fire every rule of `candidates` that `matches` accepts, in rule order.
    fn fire_matching(
        &mut self,
        now: Instant,
        candidates: impl Fn(&Index) -> &Vec<usize>,
        mut matches: impl FnMut(&Rule, &[char]) -> bool,
    ) -> Vec<Fault> {
        let hits: Vec<usize> = candidates(&self.index)
            .iter()
            .copied()
            .filter(|&i| matches(&self.rules[i], &self.patterns[i]))
            .collect();
        hits.into_iter().filter_map(|i| self.fire(i, now)).collect()
    }

    /// A command line the host sent.
    pub fn on_command(&mut self, line: &str, now: Instant) -> Vec<Fault> {
        if self.index.command.is_empty() {
            return Vec::new();
        }
        let text = upper_chars(line.trim());
        self.fire_matching(now, |x| &x.command, |_, p| glob_chars(p, &text))
    }

    /// An open to `host`:`port`.
    pub fn on_open(&mut self, host: &str, port: u16, now: Instant) -> Vec<Fault> {
        if self.index.open.is_empty() {
            return Vec::new();
        }
        let target = upper_chars(&format!("{host}:{port}"));
        let host = upper_chars(host);
        self.fire_matching(
            now,
            |x| &x.open,
            |_, p| glob_chars(p, if p.contains(&':') { &target } else { &host }),
        )
    }

    /// Byte totals of connection `conn` on socket `id` changed.
    pub fn on_bytes(&mut self, id: u8, conn: u64, sent: u64, received: u64, now: Instant) -> Vec<Fault> {
        let hits: Vec<usize> = (self.index.bytes.iter().copied())
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
        let hits: Vec<usize> = (self.index.event.iter())
            .filter(|&&(k, i)| k == kind && self.rules[i].socket.is_none_or(|s| s == id))
            .map(|&(_, i)| i)
            .collect();
        hits.into_iter().filter_map(|i| self.fire(i, now)).collect()
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.scheduled.peek().map(|Reverse(p)| p.due)
    }

    /// Delayed faults whose time has come, in time order (in the order they were scheduled
    /// when due at the same instant).
    pub fn due(&mut self, now: Instant) -> Vec<Fault> {
        let mut out = Vec::new();
        while let Some(Reverse(p)) = self.scheduled.peek() {
            if p.due > now {
                break;
            }
            let i = p.rule;
            self.scheduled.pop();
            let rule = &mut self.rules[i];
            rule.pending -= 1;
            out.push(rule.fault.clone());
        }
        out
    }
}

fn upper_chars(text: &str) -> Vec<char> {
    text.chars().map(|c| c.to_ascii_uppercase()).collect()
}

/// Case-insensitive glob with `*` (any run) and `?` (one character).
pub fn glob(pattern: &str, text: &str) -> bool {
    glob_chars(&upper_chars(pattern), &upper_chars(text))
}

/// [`glob`] on upper-cased characters.
fn glob_chars(p: &[char], t: &[char]) -> bool {
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

    /// `n` rules of every trigger kind; rule `i` is the only one matching `AT+R{i}`.
    fn many_rules(n: usize) -> String {
        let mut text = String::with_capacity(n * 80);
        for i in 0..n {
            let when = match i % 4 {
                0 | 1 => format!("command = \"AT+R{i}\""),
                2 => format!("open = \"host{i}:443\""),
                _ => format!("after_event = \"recv\", socket = {}, after_ms = {}", i % 12, 1 + i % 1000),
            };
            text.push_str(&format!("[[rule]]\nwhen = {{ {when} }}\nfault = {{ kind = \"dns_busy\" }}\n"));
        }
        text
    }

    fn load_seconds(text: &str) -> f64 {
        let t = std::time::Instant::now();
        let s = Scenario::parse(text).unwrap();
        let took = t.elapsed().as_secs_f64();
        drop(s);
        took
    }

    /// Loading used to count the lines from the top of the file for every rule: quadratic
    /// (10k rules 1.6 s, 40k 24 s, 100k not done after 150 s). Four times the rules must now
    /// cost about four times the time, not sixteen; and 100k rules load and fire.
    #[test]
    fn loading_is_linear_in_the_number_of_rules() {
        // The best of three, so a busy machine makes a load look slower only if it always is.
        let small = many_rules(1_500);
        let large = many_rules(6_000);
        let base = (0..3).map(|_| load_seconds(&small)).fold(f64::MAX, f64::min);
        let ratio = (0..3).map(|_| load_seconds(&large) / base).fold(f64::MAX, f64::min);
        assert!(ratio < 9.0, "4x the rules took {ratio:.1}x the time (linear: ~4, quadratic: ~16)");

        let text = many_rules(100_000);
        let mut s = Scenario::parse(&text).unwrap();
        assert_eq!(s.rules.len(), 100_000);
        let now = Instant::now();
        s.start(now);
        assert_eq!(s.on_command("at+r99_996", now), vec![]);
        assert_eq!(s.on_command("at+r99996", now), vec![Fault::DnsBusy]);
        assert_eq!(s.on_command("AT+R99996", now), vec![], "fires once");
        assert_eq!(s.on_open("host99998", 443, now), vec![Fault::DnsBusy]);
        // The `recv` rules on socket 11 are those with i % 12 == 11: 8,333 of them, delays
        // 1 + i % 1000 ms, the shortest 4 ms (i = 2003).
        assert!(s.on_event(EventKind::Recv, 11, now).is_empty());
        assert_eq!(s.scheduled.len(), 8_333);
        assert_eq!(s.next_deadline(), Some(now + Duration::from_millis(4)));
        let fired = s.due(now + Duration::from_millis(1000));
        assert_eq!(fired.len(), 8_333);
        assert_eq!(s.next_deadline(), None);
    }

    /// Big files are parsed in pieces; errors deep inside still name their line, and a piece
    /// boundary inside a multi-line string cannot change what the file means.
    #[test]
    fn big_files_in_pieces_keep_line_numbers_and_meaning() {
        let rule = "[[rule]]\nwhen = { command = \"AT\" }\nfault = { kind = \"dns_busy\" }\n";
        let mut text = rule.repeat(2_500);
        // Rule 2,501 starts on line 7,501: a semantic error there, then a syntax error.
        text.push_str("[[rule]]\nwhen = { socket = 3 }\nfault = { kind = \"dns_busy\" }\n");
        let err = Scenario::parse(&text).unwrap_err();
        assert!(err.starts_with("line 7501: rule has no trigger"), "{err}");
        let mut broken = rule.repeat(2_500);
        broken.push_str("[[rule]]\nwhen = { command = \"AT\" }\nfault = { kind = \"nope\" }\n");
        let err = Scenario::parse(&broken).unwrap_err();
        assert!(err.starts_with("line 7503: unknown variant `nope`"), "{err}");
        // A `[[rule]]` line inside a multi-line string is not a header.
        let mut tricky = rule.repeat(1_023);
        tricky.push_str(
            "[[rule]]\nwhen = { command = \"\"\"\n[[rule]]\n\"\"\" }\nfault = { kind = \"dns_busy\" }\n",
        );
        tricky.push_str(&rule.repeat(10));
        let s = Scenario::parse(&tricky).unwrap();
        assert_eq!(s.rules.len(), 1_034);
        assert_eq!(s.rules[1_023].trigger, Trigger::Command("[[rule]]\n".into()));
        assert_eq!(s.rules[1_024].line, 1_023 * 3 + 6);
    }

    /// A repeating rule with a long delay used to queue one entry per trigger without bound
    /// (and sort the whole queue on every pass).
    #[test]
    fn a_repeating_delayed_rule_keeps_a_bounded_queue_in_time_order() {
        let mut s = Scenario::parse(
            r#"
[[rule]]
when = { after_event = "recv", after_ms = 3600000 }
fault = { kind = "latency", ms = 1 }
repeat = true

[[rule]]
when = { after_event = "recv", after_ms = 10 }
fault = { kind = "latency", ms = 2 }
repeat = true
"#,
        )
        .unwrap();
        let t0 = Instant::now();
        for k in 0..200_000u64 {
            s.on_event(EventKind::Recv, 0, t0 + Duration::from_micros(k));
        }
        let first = MAX_PENDING_PER_RULE as usize;
        assert_eq!(s.rules[0].pending as usize, first);
        assert_eq!(s.rules[0].dropped, 200_000 - first as u64);
        assert_eq!(s.rules[1].pending as usize, first);
        assert_eq!(s.scheduled.len(), 2 * first);
        // The short rule's faults come first, all of them, then the long rule's.
        assert_eq!(s.next_deadline(), Some(t0 + Duration::from_millis(10)));
        let early = s.due(t0 + Duration::from_secs(1));
        assert_eq!(early.len(), first);
        assert!(early.iter().all(|f| *f == Fault::Latency { socket: None, ms: 2 }));
        // Room again: the short rule takes triggers once more.
        s.on_event(EventKind::Recv, 0, t0 + Duration::from_secs(2));
        assert_eq!(s.rules[1].pending, 1);
        assert_eq!(s.next_deadline(), Some(t0 + Duration::from_secs(2) + Duration::from_millis(10)));
        let late = s.due(t0 + Duration::from_secs(7200));
        assert_eq!(late.len(), first + 1);
        assert_eq!(late[0], Fault::Latency { socket: None, ms: 2 });
        assert!(late[1..].iter().all(|f| *f == Fault::Latency { socket: None, ms: 1 }));
        assert!(s.scheduled.is_empty());
    }

    #[test]
    fn delayed_faults_come_out_in_time_order_then_schedule_order() {
        // Three rules with after_ms 30, 10, 10 on one command: 10 (rule 2), 10 (rule 3), 30.
        let mut s = Scenario::parse(
            "[[rule]]\nwhen = { command = \"X\", after_ms = 30 }\nfault = { kind = \"urc_delay\", ms = 30 }\n\
             [[rule]]\nwhen = { command = \"X\", after_ms = 10 }\nfault = { kind = \"urc_delay\", ms = 10 }\n\
             [[rule]]\nwhen = { command = \"x\", after_ms = 10 }\nfault = { kind = \"urc_delay\", ms = 11 }\n",
        )
        .unwrap();
        let now = Instant::now();
        assert!(s.on_command("x", now).is_empty());
        assert!(s.due(now + Duration::from_millis(9)).is_empty());
        assert_eq!(
            s.due(now + Duration::from_millis(30)),
            vec![Fault::UrcDelay { ms: 10 }, Fault::UrcDelay { ms: 11 }, Fault::UrcDelay { ms: 30 }]
        );
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
