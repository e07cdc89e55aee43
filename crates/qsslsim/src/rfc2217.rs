//! The server side of RFC 2217 (a serial port over Telnet), with no I/O: bytes from the client
//! go in ([`Server::receive`]), data and control-line [`Event`]s come out in the order the
//! client sent them, and what the server must say back (option answers, `SET-*` replies,
//! escaped data) collects in one output buffer ([`Server::take_output`]).
//!
//! Telnet (RFC 854/855): `IAC` (0xFF) starts a command; a data byte 0xFF travels as `IAC IAC`
//! both ways. The server offers and accepts BINARY (RFC 856), SUPPRESS-GO-AHEAD (RFC 858) and
//! COM-PORT-OPTION (RFC 2217, option 44); it refuses every other option (`WONT`/`DONT`),
//! ECHO included (the module echoes by itself). Answers follow the usual rule that keeps two
//! peers from looping: a request that changes nothing, or that acknowledges one of ours, is
//! not answered. Without BINARY from the client, a NUL after CR is dropped (a plain Telnet
//! client's line ending).
//!
//! COM-PORT-OPTION: every `SET-*` is answered with the value now in force (the one asked for,
//! or the current one for a query or a value out of range), which is what pyserial waits for;
//! `NOTIFY-LINESTATE`/`NOTIFY-MODEMSTATE` from the client are polls answered with the current
//! state; a modem-state notification goes out once the option is agreed. No crate offers this
//! server side in a maintained form (rfc2217-rs is one undocumented 0.1 release tied to a
//! real serial port), hence this file.

/// Telnet command bytes.
pub const IAC: u8 = 255;
pub const DONT: u8 = 254;
pub const DO: u8 = 253;
pub const WONT: u8 = 252;
pub const WILL: u8 = 251;
pub const SB: u8 = 250;
pub const SE: u8 = 240;
pub const AYT: u8 = 246;

/// Telnet options.
pub const BINARY: u8 = 0;
pub const ECHO: u8 = 1;
pub const SGA: u8 = 3;
pub const COM_PORT: u8 = 44;

/// COM-PORT-OPTION commands (client to server; the server's answer adds [`SERVER`]).
pub const SIGNATURE: u8 = 0;
pub const SET_BAUDRATE: u8 = 1;
pub const SET_DATASIZE: u8 = 2;
pub const SET_PARITY: u8 = 3;
pub const SET_STOPSIZE: u8 = 4;
pub const SET_CONTROL: u8 = 5;
pub const NOTIFY_LINESTATE: u8 = 6;
pub const NOTIFY_MODEMSTATE: u8 = 7;
pub const FLOWCONTROL_SUSPEND: u8 = 8;
pub const FLOWCONTROL_RESUME: u8 = 9;
pub const SET_LINESTATE_MASK: u8 = 10;
pub const SET_MODEMSTATE_MASK: u8 = 11;
pub const PURGE_DATA: u8 = 12;
/// Added to a command code in the server's answers.
pub const SERVER: u8 = 100;

/// The modem state the module's port always shows: CTS and DSR on, no ring, no carrier
/// detect (policy `rfc2217-lines`).
pub const MODEM_STATE: u8 = 0x10 | 0x20;
/// The line state: no errors, nothing pending.
pub const LINE_STATE: u8 = 0;
/// Most bytes of one subnegotiation kept (a signature is text; the rest are a few bytes).
const SB_MAX: usize = 256;
/// What the server answers a signature query with.
pub const SIGNATURE_TEXT: &str = concat!("qsslsim ", env!("CARGO_PKG_VERSION"));

/// What the client asked for, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Bytes for the module (IAC doubling undone).
    Data(Vec<u8>),
    /// DTR asserted (`true`, SET-CONTROL 8) or dropped (`false`, 9).
    Dtr(bool),
    /// RTS asserted (`true`, 11) or not (`false`, 12).
    Rts(bool),
    /// BREAK on or off.
    Break(bool),
    /// SET-BAUDRATE with a rate.
    Baud(u32),
    /// Data bits, parity or stop bits changed: the setting's name and RFC 2217 value.
    Framing(&'static str, u8),
    /// SET-CONTROL 1-3: the outbound flow control the client wants (1 none, 2 XON/XOFF, 3
    /// hardware).
    FlowControl(u8),
    /// PURGE-DATA: drop what the server holds from the client (`input`) and/or for it
    /// (`output`).
    Purge { input: bool, output: bool },
    /// FLOWCONTROL-SUSPEND (`true`) / -RESUME (`false`): stop or resume sending data to the
    /// client.
    Suspend(bool),
    /// The client's signature text.
    Signature(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    Iac,
    /// After `IAC` and DO/DONT/WILL/WONT: the option byte is next.
    Option(u8),
    Sub,
    SubIac,
}

/// One side of one option: enabled, and whether we asked (so the answer is not answered).
#[derive(Debug, Clone, Copy, Default)]
struct Side {
    on: bool,
    asked: bool,
}

/// The serial settings the client has set (reported back on queries).
#[derive(Debug, Clone, Copy)]
struct Settings {
    baud: u32,
    data_bits: u8,
    parity: u8,
    stop_bits: u8,
    flow: u8,
    dtr: bool,
    rts: bool,
    brk: bool,
    linestate_mask: u8,
    modemstate_mask: u8,
}

/// One client's Telnet / COM-PORT-OPTION state.
#[derive(Debug)]
pub struct Server {
    state: State,
    sub: Vec<u8>,
    /// Options 0..=255: our side (WILL) and theirs (DO).
    ours: [Side; 256],
    theirs: [Side; 256],
    /// A CR went by in non-binary mode: a NUL next is dropped.
    after_cr: bool,
    /// The modem-state notification after agreement has gone out.
    notified: bool,
    settings: Settings,
    out: Vec<u8>,
}

/// Options the server agrees to, each way.
fn supported(option: u8) -> bool {
    matches!(option, BINARY | SGA | COM_PORT)
}

impl Server {
    /// A new client: the server's own offers are already in the output (WILL/DO BINARY, SGA,
    /// COM-PORT-OPTION). `baud` is what a query reports until the client sets a rate.
    pub fn new(baud: u32) -> Server {
        let mut s = Server {
            state: State::Data,
            sub: Vec::new(),
            ours: [Side::default(); 256],
            theirs: [Side::default(); 256],
            after_cr: false,
            notified: false,
            settings: Settings {
                baud,
                data_bits: 8,
                parity: 1,
                stop_bits: 1,
                flow: 1,
                dtr: true,
                rts: true,
                brk: false,
                linestate_mask: 0,
                modemstate_mask: 0xFF,
            },
            out: Vec::new(),
        };
        for option in [BINARY, SGA, COM_PORT] {
            s.ours[option as usize].asked = true;
            s.send_option(WILL, option);
            s.theirs[option as usize].asked = true;
            s.send_option(DO, option);
        }
        s
    }

    /// Whether COM-PORT-OPTION is agreed (either way: a client that only says WILL or only
    /// DO has agreed to speak it).
    pub fn com_port(&self) -> bool {
        self.ours[COM_PORT as usize].on || self.theirs[COM_PORT as usize].on
    }

    /// Whether the client sends in BINARY mode.
    pub fn client_binary(&self) -> bool {
        self.theirs[BINARY as usize].on
    }

    /// Take bytes from the client; the events, in order. Answers go to the output.
    pub fn receive(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        let mut data = Vec::new();
        for &b in bytes {
            match self.state {
                State::Data => {
                    if b == IAC {
                        self.state = State::Iac;
                    } else {
                        self.data_byte(b, &mut data);
                    }
                }
                State::Iac => {
                    self.state = State::Data;
                    self.command(b, &mut data);
                }
                State::Option(verb) => {
                    self.state = State::Data;
                    self.negotiate(verb, b);
                }
                State::Sub => {
                    if b == IAC {
                        self.state = State::SubIac;
                    } else if self.sub.len() < SB_MAX {
                        self.sub.push(b);
                    }
                }
                State::SubIac => match b {
                    IAC => {
                        if self.sub.len() < SB_MAX {
                            self.sub.push(IAC);
                        }
                        self.state = State::Sub;
                    }
                    SE => {
                        self.state = State::Data;
                        if !data.is_empty() {
                            events.push(Event::Data(std::mem::take(&mut data)));
                        }
                        let sub = std::mem::take(&mut self.sub);
                        self.subnegotiation(&sub, &mut events);
                    }
                    // RFC 855: IAC inside a subnegotiation other than IAC IAC / IAC SE ends
                    // it malformed; the byte is taken as a command.
                    _ => {
                        self.sub.clear();
                        self.state = State::Data;
                        self.command(b, &mut data);
                    }
                },
            }
        }
        if !data.is_empty() {
            events.push(Event::Data(data));
        }
        events
    }

    /// The byte after `IAC` (outside a subnegotiation).
    fn command(&mut self, b: u8, data: &mut Vec<u8>) {
        match b {
            IAC => self.data_byte(IAC, data),
            DO | DONT | WILL | WONT => self.state = State::Option(b),
            SB => {
                self.sub.clear();
                self.state = State::Sub;
            }
            AYT => self.out.extend_from_slice(b"\r\n[qsslsim: yes]\r\n"),
            // NOP, DM, BRK, IP, AO, EC, EL, GA, a stray SE: nothing to do.
            _ => {}
        }
    }

    fn data_byte(&mut self, b: u8, data: &mut Vec<u8>) {
        if !self.client_binary() {
            if self.after_cr && b == 0 {
                self.after_cr = false;
                return;
            }
            self.after_cr = b == b'\r';
        }
        data.push(b);
    }

    /// Bytes from the module for the client, IAC doubled.
    pub fn send_data(&mut self, data: &[u8]) {
        escape_into(data, &mut self.out);
    }

    /// Everything to send to the client now.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn send_option(&mut self, verb: u8, option: u8) {
        self.out.extend_from_slice(&[IAC, verb, option]);
    }

    fn negotiate(&mut self, verb: u8, option: u8) {
        let i = option as usize;
        match verb {
            // The client asks us to (stop to) do something.
            DO => {
                let side = &mut self.ours[i];
                if !supported(option) {
                    // ECHO and the rest: refused.
                    self.send_option(WONT, option);
                } else if !side.on {
                    side.on = true;
                    if !std::mem::take(&mut side.asked) {
                        self.send_option(WILL, option);
                    }
                }
            }
            DONT => {
                let side = &mut self.ours[i];
                side.asked = false;
                if side.on {
                    side.on = false;
                    self.send_option(WONT, option);
                }
            }
            // The client offers (or stops) to do something.
            WILL => {
                let side = &mut self.theirs[i];
                if !supported(option) {
                    self.send_option(DONT, option);
                } else if !side.on {
                    side.on = true;
                    if !std::mem::take(&mut side.asked) {
                        self.send_option(DO, option);
                    }
                }
            }
            _ => {
                let side = &mut self.theirs[i];
                side.asked = false;
                if side.on {
                    side.on = false;
                    self.send_option(DONT, option);
                }
            }
        }
        if option == COM_PORT && self.com_port() && !self.notified {
            self.notified = true;
            self.notify_modem_state();
        }
    }

    fn notify_modem_state(&mut self) {
        let state = MODEM_STATE & self.settings.modemstate_mask;
        self.reply(NOTIFY_MODEMSTATE, &[state]);
    }

    /// `IAC SB COM-PORT-OPTION <command + 100> <value> IAC SE`.
    fn reply(&mut self, command: u8, value: &[u8]) {
        self.out.extend_from_slice(&[IAC, SB, COM_PORT, command + SERVER]);
        escape_into(value, &mut self.out);
        self.out.extend_from_slice(&[IAC, SE]);
    }

    fn subnegotiation(&mut self, sub: &[u8], events: &mut Vec<Event>) {
        let [COM_PORT, command, value @ ..] = sub else { return };
        self.com_port_command(*command, value, events);
        // A client that speaks the option has agreed to it, even if it never said so: pyserial
        // takes our offers as answers to requests it has not sent yet, and then sends none.
        if !self.notified {
            self.notified = true;
            self.notify_modem_state();
        }
    }

    fn com_port_command(&mut self, command: u8, value: &[u8], events: &mut Vec<Event>) {
        let byte = value.first().copied();
        let s = &mut self.settings;
        match command {
            SIGNATURE if value.is_empty() => self.reply(SIGNATURE, SIGNATURE_TEXT.as_bytes()),
            SIGNATURE => events.push(Event::Signature(String::from_utf8_lossy(value).into_owned())),
            SET_BAUDRATE => {
                let Ok(rate) = <[u8; 4]>::try_from(value) else { return };
                let rate = u32::from_be_bytes(rate);
                if rate != 0 {
                    s.baud = rate;
                    events.push(Event::Baud(rate));
                }
                let now = s.baud.to_be_bytes();
                self.reply(SET_BAUDRATE, &now);
            }
            SET_DATASIZE => {
                if let Some(v @ 5..=8) = byte {
                    s.data_bits = v;
                    events.push(Event::Framing("data bits", v));
                }
                let now = s.data_bits;
                self.reply(SET_DATASIZE, &[now]);
            }
            SET_PARITY => {
                if let Some(v @ 1..=5) = byte {
                    s.parity = v;
                    events.push(Event::Framing("parity", v));
                }
                let now = s.parity;
                self.reply(SET_PARITY, &[now]);
            }
            SET_STOPSIZE => {
                if let Some(v @ 1..=3) = byte {
                    s.stop_bits = v;
                    events.push(Event::Framing("stop bits", v));
                }
                let now = s.stop_bits;
                self.reply(SET_STOPSIZE, &[now]);
            }
            SET_CONTROL => {
                let Some(v) = byte else { return };
                let answer = match v {
                    0 => s.flow,
                    1..=3 => {
                        s.flow = v;
                        events.push(Event::FlowControl(v));
                        v
                    }
                    4 => on_off(s.brk, 5),
                    5 | 6 => {
                        s.brk = v == 5;
                        events.push(Event::Break(s.brk));
                        v
                    }
                    7 => on_off(s.dtr, 8),
                    8 | 9 => {
                        s.dtr = v == 8;
                        events.push(Event::Dtr(s.dtr));
                        v
                    }
                    10 => on_off(s.rts, 11),
                    11 | 12 => {
                        s.rts = v == 11;
                        events.push(Event::Rts(s.rts));
                        v
                    }
                    // Inbound flow control: none (14), whatever is asked is reported back.
                    13 => 14,
                    // 14-19 and unknown values: acknowledged as they are.
                    _ => v,
                };
                self.reply(SET_CONTROL, &[answer]);
            }
            NOTIFY_LINESTATE => self.reply(NOTIFY_LINESTATE, &[LINE_STATE]),
            NOTIFY_MODEMSTATE => self.reply(NOTIFY_MODEMSTATE, &[MODEM_STATE]),
            FLOWCONTROL_SUSPEND => events.push(Event::Suspend(true)),
            FLOWCONTROL_RESUME => events.push(Event::Suspend(false)),
            SET_LINESTATE_MASK => {
                let Some(v) = byte else { return };
                s.linestate_mask = v;
                self.reply(SET_LINESTATE_MASK, &[v]);
            }
            SET_MODEMSTATE_MASK => {
                let Some(v) = byte else { return };
                s.modemstate_mask = v;
                self.reply(SET_MODEMSTATE_MASK, &[v]);
            }
            PURGE_DATA => {
                let Some(v @ 1..=3) = byte else { return };
                events.push(Event::Purge { input: v & 1 != 0, output: v & 2 != 0 });
                self.reply(PURGE_DATA, &[v]);
            }
            _ => {}
        }
    }
}

/// The SET-CONTROL answer for a state query: `on` (the given code) or off (the next one).
fn on_off(state: bool, on: u8) -> u8 {
    if state {
        on
    } else {
        on + 1
    }
}

/// Append `data` with every 0xFF doubled.
pub fn escape_into(data: &[u8], out: &mut Vec<u8>) {
    for chunk in data.split_inclusive(|&b| b == IAC) {
        out.extend_from_slice(chunk);
        if chunk.last() == Some(&IAC) {
            out.push(IAC);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server with its greeting taken.
    fn server() -> Server {
        let mut s = Server::new(115200);
        s.take_output();
        s
    }

    /// A server whose client has agreed to COM-PORT-OPTION (the modem state taken too).
    fn agreed() -> Server {
        let mut s = server();
        s.receive(&[IAC, DO, COM_PORT, IAC, WILL, COM_PORT]);
        assert_eq!(s.take_output(), sb(NOTIFY_MODEMSTATE + SERVER, &[MODEM_STATE]));
        s
    }

    fn sb(command: u8, value: &[u8]) -> Vec<u8> {
        let mut v = vec![IAC, SB, COM_PORT, command];
        escape_into(value, &mut v);
        v.extend_from_slice(&[IAC, SE]);
        v
    }

    #[test]
    fn the_greeting_offers_binary_sga_and_com_port_both_ways() {
        let mut s = Server::new(115200);
        assert_eq!(
            s.take_output(),
            [
                IAC, WILL, BINARY, IAC, DO, BINARY, IAC, WILL, SGA, IAC, DO, SGA, IAC, WILL, COM_PORT, IAC,
                DO, COM_PORT
            ]
        );
    }

    #[test]
    fn plain_data_passes_and_doubled_iac_is_one_byte() {
        let mut s = server();
        assert_eq!(s.receive(b"AT\r"), [Event::Data(b"AT\r".to_vec())]);
        assert_eq!(s.receive(&[1, IAC, IAC, 2]), [Event::Data(vec![1, IAC, 2])]);
        // Split across reads.
        assert_eq!(s.receive(&[3, IAC]), [Event::Data(vec![3])]);
        assert_eq!(s.receive(&[IAC, 4]), [Event::Data(vec![IAC, 4])]);
        assert!(s.take_output().is_empty());
    }

    #[test]
    fn data_to_the_client_doubles_iac() {
        let mut s = server();
        s.send_data(&[b'a', IAC, b'b', IAC, IAC]);
        assert_eq!(s.take_output(), [b'a', IAC, IAC, b'b', IAC, IAC, IAC, IAC]);
        let mut out = Vec::new();
        escape_into(b"", &mut out);
        assert!(out.is_empty());
    }

    /// pyserial's opening: DO ECHO, WILL SGA, DO SGA, DO COM-PORT, WILL COM-PORT; it then
    /// waits for its WILL COM-PORT to be accepted, and answers our DO BINARY.
    #[test]
    fn pyserials_negotiation_is_answered_once_and_does_not_loop() {
        let mut s = server();
        let events =
            s.receive(&[IAC, DO, ECHO, IAC, WILL, SGA, IAC, DO, SGA, IAC, DO, COM_PORT, IAC, WILL, COM_PORT]);
        assert!(events.is_empty());
        // ECHO refused; SGA and COM-PORT acknowledge our own offers: no answer. The option is
        // agreed: the modem state goes out once.
        assert_eq!(
            s.take_output(),
            [&[IAC, WONT, ECHO][..], &sb(NOTIFY_MODEMSTATE + SERVER, &[0x30])].concat()
        );
        assert!(s.com_port());
        // pyserial answers our DO BINARY and WILL BINARY.
        s.receive(&[IAC, WILL, BINARY, IAC, DO, BINARY]);
        assert!(s.take_output().is_empty(), "acknowledgements are not answered");
        assert!(s.client_binary());
        // Asking again changes nothing: no answer.
        s.receive(&[IAC, WILL, BINARY, IAC, DO, COM_PORT]);
        assert!(s.take_output().is_empty());
    }

    #[test]
    fn unasked_requests_are_answered_and_unknown_options_refused() {
        let mut s = server();
        // The client refuses our offers first, then asks for them itself.
        s.receive(&[IAC, DONT, SGA, IAC, WONT, SGA]);
        assert!(s.take_output().is_empty(), "refusals of our offers are not answered");
        s.receive(&[IAC, DO, SGA, IAC, WILL, SGA]);
        assert_eq!(s.take_output(), [IAC, WILL, SGA, IAC, DO, SGA]);
        // Turning an enabled option off is acknowledged.
        s.receive(&[IAC, DONT, SGA]);
        assert_eq!(s.take_output(), [IAC, WONT, SGA]);
        // Terminal type (24), window size (31): refused.
        s.receive(&[IAC, WILL, 24, IAC, DO, 31]);
        assert_eq!(s.take_output(), [IAC, DONT, 24, IAC, WONT, 31]);
    }

    #[test]
    fn set_baudrate_is_accepted_and_echoed_a_query_reports_the_current_rate() {
        let mut s = agreed();
        assert_eq!(s.receive(&sb(SET_BAUDRATE, &9600u32.to_be_bytes())), [Event::Baud(9600)]);
        assert_eq!(s.take_output(), sb(SET_BAUDRATE + SERVER, &9600u32.to_be_bytes()));
        assert!(s.receive(&sb(SET_BAUDRATE, &[0, 0, 0, 0])).is_empty());
        assert_eq!(s.take_output(), sb(SET_BAUDRATE + SERVER, &9600u32.to_be_bytes()));
        // A rate with 0xFF in it travels escaped both ways.
        let rate = 0x0001_C2FFu32;
        assert_eq!(s.receive(&sb(SET_BAUDRATE, &rate.to_be_bytes())), [Event::Baud(rate)]);
        assert_eq!(s.take_output(), [IAC, SB, COM_PORT, 101, 0, 1, 0xC2, IAC, IAC, IAC, SE]);
    }

    #[test]
    fn framing_settings_are_echoed_and_out_of_range_values_answered_with_the_current() {
        let mut s = agreed();
        assert_eq!(s.receive(&sb(SET_DATASIZE, &[7])), [Event::Framing("data bits", 7)]);
        assert_eq!(s.take_output(), sb(SET_DATASIZE + SERVER, &[7]));
        assert!(s.receive(&sb(SET_DATASIZE, &[9])).is_empty());
        assert_eq!(s.take_output(), sb(SET_DATASIZE + SERVER, &[7]));
        assert_eq!(s.receive(&sb(SET_PARITY, &[1])), [Event::Framing("parity", 1)]);
        assert_eq!(s.take_output(), sb(SET_PARITY + SERVER, &[1]));
        assert_eq!(s.receive(&sb(SET_STOPSIZE, &[1])), [Event::Framing("stop bits", 1)]);
        assert_eq!(s.take_output(), sb(SET_STOPSIZE + SERVER, &[1]));
        assert!(s.receive(&sb(SET_STOPSIZE, &[0])).is_empty());
        assert_eq!(s.take_output(), sb(SET_STOPSIZE + SERVER, &[1]));
    }

    #[test]
    fn set_control_drives_dtr_rts_and_break_and_answers_queries() {
        let mut s = agreed();
        let cases: &[(u8, Option<Event>, u8)] = &[
            (9, Some(Event::Dtr(false)), 9),
            (7, None, 9),
            (8, Some(Event::Dtr(true)), 8),
            (7, None, 8),
            (12, Some(Event::Rts(false)), 12),
            (10, None, 12),
            (11, Some(Event::Rts(true)), 11),
            (5, Some(Event::Break(true)), 5),
            (4, None, 5),
            (6, Some(Event::Break(false)), 6),
            (0, None, 1),
            (3, Some(Event::FlowControl(3)), 3),
            (0, None, 3),
            (13, None, 14),
            (16, None, 16),
        ];
        for (value, event, answer) in cases {
            let events = s.receive(&sb(SET_CONTROL, &[*value]));
            assert_eq!(events, event.iter().cloned().collect::<Vec<_>>(), "SET-CONTROL {value}");
            assert_eq!(s.take_output(), sb(SET_CONTROL + SERVER, &[*answer]), "SET-CONTROL {value}");
        }
    }

    #[test]
    fn control_events_keep_their_place_between_data() {
        let mut s = server();
        let mut input = b"ab".to_vec();
        input.extend(sb(SET_CONTROL, &[9]));
        input.extend(b"cd");
        assert_eq!(
            s.receive(&input),
            [Event::Data(b"ab".to_vec()), Event::Dtr(false), Event::Data(b"cd".to_vec())]
        );
    }

    #[test]
    fn purge_state_polls_masks_suspend_and_signature() {
        let mut s = agreed();
        assert_eq!(s.receive(&sb(PURGE_DATA, &[1])), [Event::Purge { input: true, output: false }]);
        assert_eq!(s.take_output(), sb(PURGE_DATA + SERVER, &[1]));
        assert_eq!(s.receive(&sb(PURGE_DATA, &[3])), [Event::Purge { input: true, output: true }]);
        assert_eq!(s.take_output(), sb(PURGE_DATA + SERVER, &[3]));
        assert!(s.receive(&sb(PURGE_DATA, &[4])).is_empty(), "not a purge");
        assert!(s.take_output().is_empty());
        s.receive(&sb(NOTIFY_MODEMSTATE, &[]));
        assert_eq!(s.take_output(), sb(NOTIFY_MODEMSTATE + SERVER, &[MODEM_STATE]));
        s.receive(&sb(NOTIFY_LINESTATE, &[]));
        assert_eq!(s.take_output(), sb(NOTIFY_LINESTATE + SERVER, &[LINE_STATE]));
        s.receive(&sb(SET_MODEMSTATE_MASK, &[0x10]));
        assert_eq!(s.take_output(), sb(SET_MODEMSTATE_MASK + SERVER, &[0x10]));
        s.receive(&sb(SET_LINESTATE_MASK, &[0]));
        assert_eq!(s.take_output(), sb(SET_LINESTATE_MASK + SERVER, &[0]));
        assert_eq!(s.receive(&sb(FLOWCONTROL_SUSPEND, &[])), [Event::Suspend(true)]);
        assert_eq!(s.receive(&sb(FLOWCONTROL_RESUME, &[])), [Event::Suspend(false)]);
        assert!(s.take_output().is_empty(), "suspend and resume are not answered");
        s.receive(&sb(SIGNATURE, &[]));
        assert_eq!(s.take_output(), sb(SIGNATURE + SERVER, SIGNATURE_TEXT.as_bytes()));
        assert_eq!(s.receive(&sb(SIGNATURE, b"pyserial")), [Event::Signature("pyserial".into())]);
    }

    #[test]
    fn the_modem_state_notification_follows_the_mask_set_before_it() {
        let mut s = server();
        s.receive(&sb(SET_MODEMSTATE_MASK, &[0x10]));
        assert_eq!(
            s.take_output(),
            [sb(SET_MODEMSTATE_MASK + SERVER, &[0x10]), sb(NOTIFY_MODEMSTATE + SERVER, &[0x10])].concat()
        );
        s.receive(&[IAC, WILL, COM_PORT]);
        assert!(s.take_output().is_empty(), "once only");
    }

    /// pyserial may read our offers before it sends its own requests: it then takes them as
    /// answers and never says DO/WILL COM-PORT-OPTION itself, only its SET-* commands.
    #[test]
    fn a_client_that_only_speaks_the_option_gets_the_modem_state_too() {
        let mut s = server();
        s.receive(&[IAC, DO, ECHO, IAC, WILL, BINARY, IAC, DO, BINARY]);
        assert_eq!(s.take_output(), [IAC, WONT, ECHO]);
        assert!(!s.com_port());
        s.receive(&sb(SET_BAUDRATE, &115200u32.to_be_bytes()));
        assert_eq!(
            s.take_output(),
            [sb(SET_BAUDRATE + SERVER, &115200u32.to_be_bytes()), sb(NOTIFY_MODEMSTATE + SERVER, &[0x30])]
                .concat()
        );
    }

    #[test]
    fn subnegotiations_split_anywhere_and_other_options_ignored() {
        let all = sb(SET_CONTROL, &[9]);
        for cut in 0..=all.len() {
            let mut s = agreed();
            let mut events = s.receive(&all[..cut]);
            events.extend(s.receive(&all[cut..]));
            assert_eq!(events, [Event::Dtr(false)], "cut at {cut}");
            assert_eq!(s.take_output(), sb(SET_CONTROL + SERVER, &[9]));
        }
        let mut s = agreed();
        // Terminal type subnegotiation; a COM-PORT one that is too short.
        assert!(s.receive(&[IAC, SB, 24, 0, b'x', IAC, SE, IAC, SB, COM_PORT, IAC, SE]).is_empty());
        assert!(s.take_output().is_empty());
        // An overlong signature is cut, not grown without bound.
        let long = vec![b's'; 10_000];
        let events = s.receive(&sb(SIGNATURE, &long));
        assert_eq!(events, [Event::Signature("s".repeat(SB_MAX - 2))]);
    }

    #[test]
    fn telnet_commands_are_not_data_and_a_malformed_subnegotiation_ends() {
        let mut s = server();
        // NOP (241), GA (249) between data.
        assert_eq!(s.receive(&[b'a', IAC, 241, b'b', IAC, 249]), [Event::Data(b"ab".to_vec())]);
        // IAC followed by a command inside SB: the SB is dropped, the command taken.
        assert_eq!(
            s.receive(&[IAC, SB, COM_PORT, SET_CONTROL, IAC, WILL, SGA, b'z']),
            [Event::Data(b"z".to_vec())]
        );
        assert!(s.take_output().is_empty(), "WILL SGA acknowledges our offer");
        s.receive(&[IAC, AYT]);
        assert_eq!(s.take_output(), b"\r\n[qsslsim: yes]\r\n");
    }

    #[test]
    fn without_binary_a_nul_after_cr_is_dropped() {
        let mut s = server();
        assert_eq!(s.receive(b"AT\r\0AT\r\n"), [Event::Data(b"AT\rAT\r\n".to_vec())]);
        assert_eq!(s.receive(b"\0"), [Event::Data(vec![0])], "a NUL not after CR is data");
        s.receive(&[IAC, WILL, BINARY]);
        assert_eq!(s.receive(b"\r\0"), [Event::Data(b"\r\0".to_vec())]);
    }
}
