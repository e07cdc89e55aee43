//! The one table of choices the emulator makes where the maker's documentation is silent.
//! Each choice is a typed constant used by the handlers, and a row of [`POLICIES`], which
//! `docs/policies.md` mirrors (a test checks every row is documented there).

use std::time::Duration;

/// Bytes a socket buffers from the server before the emulator stops reading (backpressure).
pub const RX_BUFFER_BYTES: usize = 64 * 1024;
/// Bytes a socket's send buffer holds; a send that does not fit answers `SEND FAIL`.
pub const TX_BUFFER_BYTES: usize = 64 * 1024;
/// Most bytes one push-mode `+QSSLURC: "recv",<id>,<len>` carries.
pub const PUSH_CHUNK_BYTES: usize = 1500;
/// Host bytes held while a command is still executing (e.g. a transparent open); beyond this
/// the daemon stops reading the pty until the command finishes.
pub const HELD_INPUT_BYTES: usize = 4096;
/// Output one host read may produce before the module holds the rest of that read until the
/// daemon has written it (a single `AT+QFDWL` may exceed it; the next line waits).
pub const OUTPUT_BUDGET_BYTES: usize = 64 * 1024;
/// Host output the module lets queue ahead of the port before it holds bulk downlink
/// (transparent data, push frames) in the socket's receive buffer, where backpressure reaches
/// the server. A real module has only a UART FIFO there, so an answer (`OK` after `+++`, a
/// close) never waits behind more than this.
pub const HOST_QUEUE_BYTES: usize = 4 * 1024;
/// Least time between a final result and a URC that follows the network (`+QSSLOPEN`,
/// `+QSSLURC`, `+QIURC`) in the `fast` profile: on the module the network takes far longer,
/// so a host that reads up to `OK` and drops the rest of that read must not lose the URC.
pub const FAST_NETWORK_URC_GAP: Duration = Duration::from_millis(50);
/// How long an open's TCP connect may take before it fails with 566: the maker's manuals give
/// 150 s as the open's maximum response time ("determined by the network").
pub const OPEN_CONNECT_TIMEOUT: Duration = Duration::from_secs(150);
/// Default guard time of the `+++` escape (the maker's figure: one second).
pub const DEFAULT_GUARD_TIME: Duration = Duration::from_millis(1000);
/// Gap between a final result and a URC that follows it, so that they arrive in separate
/// writes as on hardware (timing profile `fast`).
pub const FAST_URC_GAP: Duration = Duration::from_millis(5);
/// The same gap in the `realistic` profile.
pub const REALISTIC_URC_GAP: Duration = Duration::from_millis(100);
/// Delay before `+QSSLOPEN: <id>,<err>` in the `realistic` profile (hardware: about 2 s).
pub const REALISTIC_OPEN_DELAY: Duration = Duration::from_millis(2000);
/// From `AT+CFUN=<fun>,1`'s `OK` to the restart's boot output: `fast` and `realistic`.
pub const FAST_RESTART: Duration = Duration::from_millis(100);
pub const REALISTIC_RESTART: Duration = Duration::from_millis(3000);
/// From `AT+QPOWD`'s `OK` to `POWERED DOWN` (the maker allows up to 65 s).
pub const FAST_POWER_DOWN: Duration = Duration::from_millis(100);
pub const REALISTIC_POWER_DOWN: Duration = Duration::from_millis(1000);
/// From `AT+QGPS=1` to the first fix: `fast` and `realistic` (a cold start takes about half a
/// minute; the `instant` profile fixes at once).
pub const FAST_GNSS_FIX: Duration = Duration::from_secs(2);
pub const REALISTIC_GNSS_FIX: Duration = Duration::from_secs(30);

/// The lifetime `AT+QIDNSGIP` reports for a name (an address reports 0, as on hardware): the
/// emulator's resolver (`--resolve`, the system's) gives none.
pub const DNS_TTL: Duration = Duration::from_secs(300);
/// The TTL `AT+QPING` reports for every reply (the value in every hardware capture); the
/// emulator does not read the reply's own.
pub const PING_TTL: u8 = 255;
/// Where the ping probe dials when the system refuses unprivileged ICMP sockets: a TCP
/// connect that is answered (accepted or refused) counts as a reply.
pub const PING_PROBE_PORT: u16 = 443;
/// How long `AT+QNTP` waits for the server's answer to its one request.
pub const NTP_TIMEOUT: Duration = Duration::from_secs(10);

/// One choice: its name (the anchor in `docs/policies.md`), the value, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: &'static str,
    pub choice: String,
    pub why: &'static str,
}

/// Every policy, named, with its value and reason, as documented in `docs/policies.md`. Values
/// that are numbers are formatted from the constants above, so the table cannot drift from
/// the code.
pub fn policies() -> Vec<Policy> {
    let p = |name: &'static str, choice: String, why: &'static str| Policy { name, choice, why };
    vec![
        p(
            "echo-lf",
            "not echoed, never data".into(),
            "An <LF> right after <CR> is ignored, so it is not echoed either: a host sending CRLF sees the same bytes as one sending CR. When the command enters a data mode (prompt, CONNECT), an <LF> that came in the same write as its <CR> is still the line ending; one sent after the prompt is data.",
        ),
        p(
            "non-at-line",
            "ERROR".into(),
            "A line that does not start with AT answers ERROR; an empty line answers nothing.",
        ),
        p(
            "too-long-line",
            format!("ERROR past {} characters", qsslsim_at::MAX_LINE_LEN),
            "A line over 1024 characters answers ERROR and is never stored past the limit.",
        ),
        p(
            "error-style",
            "ERROR for AT/SSL/TCP; +CME ERROR for files".into(),
            "SSL/TCP commands answer plain ERROR and record the code for AT+QIGETERROR; file commands answer +CME ERROR per AT+CMEE.",
        ),
        p(
            "cmee-default",
            "1".into(),
            "AT+CMEE starts at 1 as on the maker's modules.",
        ),
        p(
            "send-echo",
            "echoed".into(),
            "With ATE1, bytes typed after the > prompt are echoed.",
        ),
        p(
            "send-cancel",
            "OK, error 571".into(),
            "ESC in the send prompt sends nothing, answers OK and records 571.",
        ),
        p(
            "send-overflow",
            "ERROR, rest is commands".into(),
            "A variable-length send that reaches 1460 bytes without Ctrl+Z answers ERROR (552) and sends nothing; the byte that did not fit and what follows are read as commands.",
        ),
        p(
            "send-buffer",
            format!("{} KiB per socket", TX_BUFFER_BYTES / 1024),
            "A send that does not fit into the socket's unsent bytes answers SEND FAIL.",
        ),
        p(
            "recv-buffer",
            format!("{} KiB per socket", RX_BUFFER_BYTES / 1024),
            "When full, the emulator stops reading from the server (backpressure); nothing is dropped.",
        ),
        p(
            "recv-urc",
            "on data into an empty buffer".into(),
            "No further \"recv\" URC until the host has drained the buffer, as on the maker's TCP stack.",
        ),
        p(
            "push-chunk",
            format!("{PUSH_CHUNK_BYTES} bytes"),
            "At most 1500 bytes per push-mode URC.",
        ),
        p(
            "recv-after-close",
            "readable, then ERROR (567)".into(),
            "After an abnormal close (server close, reset, PDP loss; state 4) data that arrived before it stays readable; once the buffer is drained AT+QSSLRECV answers ERROR and records 567, as the note's 2.2.4 says for an abnormally closed connection.",
        ),
        p(
            "open-checks",
            "OK + URC for id in use / PDP inactive".into(),
            "In modes 0/1 an open whose id is in use or whose PDP context is inactive answers OK, then +QSSLOPEN: <id>,563 or 561; mode 2 answers ERROR.",
        ),
        p(
            "negotiate-timeout",
            "569".into(),
            "A handshake that exceeds negotiatetime reports 569 (operation timeout).",
        ),
        p(
            "close-idle-socket",
            "OK".into(),
            "AT+QSSLCLOSE on a socket that is not open answers OK.",
        ),
        p(
            "transparent-close",
            "NO CARRIER, state 4".into(),
            "A server close in transparent mode answers NO CARRIER after the last byte the server sent before it closed; the socket stays Closing until AT+QSSLCLOSE.",
        ),
        p(
            "urc-hold",
            "held outside command mode".into(),
            "URCs wait while a command executes, in the send prompt, during uploads and in transparent mode.",
        ),
        p(
            "urc-gap",
            format!("{} ms (fast), {} ms (realistic), one gap at most", FAST_URC_GAP.as_millis(), REALISTIC_URC_GAP.as_millis()),
            "A URC following a final result is written separately after this gap. Its due time is fixed when it is queued: later final results delay it by one gap at most, so a host that polls faster than the gap still sees every URC between two answers. In mux mode only a final result on the URC channel opens the gap: an answer on another DLC shares no byte stream with the URCs.",
        ),
        p(
            "switch-to-push",
            "buffered data pushed".into(),
            "AT+QISWTMD=<id>,1 pushes whatever is buffered right after OK; ,2 writes it raw after CONNECT.",
        ),
        p(
            "escape-mode",
            "buffer mode".into(),
            "After +++ or DTR the connection stays open in buffer mode; data that had not reached the host yet stays readable with AT+QSSLRECV and is announced with +QSSLURC: \"recv\".",
        ),
        p(
            "guard-after-stall",
            "not silence".into(),
            "When the daemon had stopped reading the pty (output backlog, full send buffer, a command executing), bytes already waiting when it resumes arrived at unknown times: their gaps do not count as +++ guard silence. Transparent input is read even while the host is not reading output.",
        ),
        p(
            "dtr-levels",
            "pin levels".into(),
            "DTR levels are the pin's: a low-to-high transition is the host dropping DTR; AT&D1 leaves data mode, AT&D2 closes.",
        ),
        p(
            "qiact-twice",
            "ERROR".into(),
            "Activating an active PDP context answers ERROR.",
        ),
        p(
            "pdp-address",
            "10.7.157.<ctx>".into(),
            "The address AT+QIACT? shows for an active context (display only; nothing dials it).",
        ),
        p(
            "qfupl-timeout",
            "ends the upload".into(),
            "QFUPL inactivity ends the upload and keeps what came, answering +QFUPL as for a complete one.",
        ),
        p(
            "port-closed-output",
            "kept for the next client".into(),
            "Output written while no client has the pty open waits in the pty (and the daemon stops reading past 256 KiB of backlog); the next client reads it, so nothing is lost between clients.",
        ),
        p(
            "output-budget",
            format!("{} KiB per read", OUTPUT_BUDGET_BYTES / 1024),
            "Once the commands of one host read have produced 64 KiB of output, the rest of the read waits until the daemon has written that output, so repeated large answers (A/ after AT+QFDWL) cannot grow memory while the host is not reading.",
        ),
        p(
            "session-cache",
            "released with the last connection".into(),
            "The note (2.2.5) releases an SSL context when every connection on it is closed; the session cache is part of what is released. session_cache=1 resumes while another connection of the context exists (including one in state 4 not yet closed with AT+QSSLCLOSE), not across a full close and reopen.",
        ),
        p(
            "state-idle-socket",
            "bare OK".into(),
            "AT+QSSLSTATE=<id> for a socket in state 0 (Initial) prints no line, like the list form, which shows only existing connections.",
        ),
        p(
            "send-counters",
            "AT+QSSLSEND=<id>,0".into(),
            "The SSL note is silent; the TCP/IP family's AT+QISEND=<id>,0 form answers +QSSLSEND: <total>,<acked>,<unacked> here: bytes accepted with SEND OK, bytes written to the network, bytes still waiting. It answers while the connection exists and in state 4 until AT+QSSLCLOSE, so a host can learn how much was lost when the network dropped the connection (the trace records the same count).",
        ),
        p(
            "transparent-flow-control",
            "AT+IFC decides".into(),
            "In transparent mode, when the network cannot take the host's data (64 KiB unsent): with AT+IFC=<x>,2 (RTS/CTS, what host stacks set) the module stops the host, so the daemon stops reading the pty until the server reads; with the factory AT+IFC=0,0 nothing can stop the host, so the module keeps reading (+++ is always seen) and bytes that do not fit are lost, each loss logged and traced with its count.",
        ),
        p(
            "open-timeout",
            format!("{} s, then 566", OPEN_CONNECT_TIMEOUT.as_secs()),
            "A TCP connect that gets no answer (a listener that drops SYNs) fails when the open's maximum response time in the maker's manuals runs out, with 566 (socket connect failed); before, it waited as long as the host's TCP stack (over two minutes, unbounded by the module). The fault connect_stall reaches this path.",
        ),
        p(
            "host-queue",
            format!("{} KiB ahead of the port", HOST_QUEUE_BYTES / 1024),
            "Transparent data and push frames flow to the host only while less than this waits undelivered (the daemon's queue and the pty's buffer); the rest stays in the socket's receive buffer, where backpressure reaches the server. A module has only a UART FIFO there, so an answer (OK after +++, a close) never waits long behind server data.",
        ),
        p(
            "network-identity",
            "CHINA MOBILE 46000, TAC 1A2B, CI B3C4D11, band 3".into(),
            "The module registers at once on the SIM's home network (the default IMSI's MCC/MNC); AT+COPS, AT+QNWINFO, AT+QSPN and the n=2 registration forms name it. Two other networks are in range for AT+COPS=?.",
        ),
        p(
            "cops-manual",
            "visited network: roaming (5); unknown: +CME ERROR: 30".into(),
            "AT+COPS=1 to another network in range registers there as roaming; a name not in range answers +CME ERROR: 30 (no network service) and changes nothing; AT+COPS=4 falls back to automatic selection.",
        ),
        p(
            "no-service-answers",
            "CSQ 99,99; QCSQ NOSERVICE; QLTS empty".into(),
            "Without registration (radio off, deregister fault, AT+COPS=2) AT+CSQ answers 99,99, AT+QCSQ \"NOSERVICE\", AT+QNWINFO No Service, AT+QSPN +CME ERROR: 30 and AT+QLTS an empty time, and every active PDP context goes down with +QIURC: \"pdpdeact\".",
        ),
        p(
            "qcsq-values",
            "derived from the CSQ level".into(),
            "AT+QCSQ reports RSSI = -113 + 2 x level dBm, RSRP 30 dB below it, SINR 2 x level + 40 and RSRQ -10, so one signal fault moves every figure consistently.",
        ),
        p(
            "pdp-defined",
            "context 1 from the factory".into(),
            "AT+CGDCONT? and AT+CGACT? list defined contexts: context 1 (IP, empty APN) from the start, others once AT+CGDCONT or AT+QICSGP configures them or they are activated. Both families edit one table; AT+CGDCONT=<cid> undefines and resets the context.",
        ),
        p(
            "pdp-27007-errors",
            "+CME ERROR: 3 / 30".into(),
            "AT+CGDCONT on an active context answers +CME ERROR: 3 (operation not allowed); AT+CGACT=1 or AT+CGATT=1 without service (radio off, not registered, or no APN where the network needs one) answers +CME ERROR: 30. AT+CGACT on a context already in the requested state answers OK, unlike AT+QIACT (policy qiact-twice).",
        ),
        p(
            "cgpaddr-inactive",
            "\"0.0.0.0\"".into(),
            "AT+CGPADDR shows the address AT+QIACT? shows while the context is active and \"0.0.0.0\" while it is not, so parsers that expect a second field still find one.",
        ),
        p(
            "cgev-events",
            "NW PDN DEACT <cid>, NW DETACH".into(),
            "With AT+CGEREP=1 or 2, a deactivation by the network (pdp_lost, deregister) writes +CGEV: NW PDN DEACT <cid> after +QIURC: \"pdpdeact\", and losing registration writes +CGEV: NW DETACH after them; the host's own AT+CGACT=0, AT+QIDEACT and AT+CGATT=0 are not reported.",
        ),
        p(
            "boot-output",
            "RDY, +CFUN: 1, APP RDY, +CPIN: READY, +QUSIM: 1, +QIND: SMS DONE".into(),
            "After AT+CFUN=<fun>,1, a power-on (fault power_on, --power-on-after) and, with --boot-urcs, at daemon start, each line a URC of its own in the order a public BG96 log shows. No EG800Q/EG91xQ document found says whether this firmware prints APP RDY; the BG95/BG96/EG25-G firmware does, TinyGSM waits for it after a restart and Zephyr proceeds on it, so it is printed, after +CFUN: 1 as in that log, also when the SIM is missing or locked (the boot output then ends at the SIM's +CPIN: line). Without --boot-urcs the daemon starts silent so the first command's answer is the first byte a host reads. The module_restart fault keeps its RDY alone.",
        ),
        p(
            "restart-delay",
            format!("{} ms (fast), {} ms (realistic)", FAST_RESTART.as_millis(), REALISTIC_RESTART.as_millis()),
            "From AT+CFUN=<fun>,1's OK to the restart: connections drop, every setting returns to the factory value (echo on, SSL contexts, PDP contexts, registration reports), UFS files and the clock stay, and the boot output follows.",
        ),
        p(
            "power-down-delay",
            format!("{} ms (fast), {} ms (realistic)", FAST_POWER_DOWN.as_millis(), REALISTIC_POWER_DOWN.as_millis()),
            "From AT+QPOWD's OK to POWERED DOWN (the maker allows up to 65 s for the network detach); connections drop and queued URCs are lost with the power.",
        ),
        p(
            "powered-down-input",
            "discarded, counted, traced".into(),
            "Host bytes that arrive while the module restarts or is powered down are discarded: each read is logged with the running count and traced as a failure record, and nothing answers until the module is on again.",
        ),
        p(
            "nv-settings",
            "AT+QCFG items and urcport survive restarts".into(),
            "The maker saves AT+QCFG band/nwscanmode/nwscanseq/iotopmode and AT+QURCCFG=\"urcport\" at once, so AT+CFUN=1,1, AT+QPOWD and module_restart keep them; they change nothing else on a pty (no radio to scan). AT+QSCLK is a volatile setting and returns to 0.",
        ),
        p(
            "urcport",
            "the AT port; URCs stay on it".into(),
            "AT+QURCCFG=\"urcport\" reads the port the daemon serves (--at-port, uart1 when that is not usbat/usbmodem/uart1). Setting another port is stored and read back, but URCs keep coming to the pty, the only port there is, so a host that moves them by mistake is not left waiting for ever.",
        ),
        p(
            "qsclk",
            "stored only".into(),
            "AT+QSCLK=1 allows sleep on the maker's module (woken by DTR); a pty has no such line, so the emulator stores the value and stays awake.",
        ),
        p(
            "sim-states",
            "+CPIN: NOT READY on removal; PUK after 3 wrong PINs".into(),
            "A card pulled out writes +CPIN: NOT READY, then registration is lost; AT+CPIN? then answers +CME ERROR: 10. A card put back (or unlocked) writes +CPIN: READY, +QUSIM: 1, +QIND: SMS DONE, then registers; a locked one writes +CPIN: SIM PIN, and a restart locks it again. AT+CIMI and AT+CNUM need an unlocked card (+CME ERROR: 10/11/12/13), AT+QCCID and AT+CCID only a card. Three wrong PINs (+CME ERROR: 16 each) leave it wanting its PUK (policy sim-puk).",
        ),
        p(
            "socket-pool",
            "SSL and TCP/IP share the twelve ids".into(),
            "The manuals do not say whether AT+QSSLOPEN client ids and AT+QIOPEN connect ids are one pool. Both are 0-11, both report 563 \"socket identity has been used\", and the SSL note switches an SSL connection's mode with the TCP/IP command AT+QISWTMD, so the module keeps one table: an id taken by either family is taken for both (563). Each family's send/read/close/state commands serve only their own sockets; aimed at the other family's socket they answer ERROR (572), and AT+QSSLSTATE / AT+QISTATE list only their own.",
        ),
        p(
            "ip-open-checks",
            "ERROR 552 before any network step".into(),
            "AT+QIOPEN with an unknown <service_type>, a client with <remote_port> 0, a TCP LISTENER or UDP SERVICE with <local_port> 0, or a TCP LISTENER / UDP SERVICE in access mode 2 (no single peer to be transparent to) answers ERROR with 552. Id in use (563) and an inactive context (561) follow `open-checks`: OK then +QIOPEN: <id>,<err> in modes 0/1, ERROR in mode 2.",
        ),
        p(
            "listen-address",
            "127.0.0.1:<local_port>".into(),
            "A TCP LISTENER or UDP SERVICE binds the loopback address at the module's <local_port>, so a test client on the same machine reaches it at the port the host asked for. A port already taken fails the open with 574 (port busy), any other bind error with 556; the fault refuse_connect makes the bind fail with 556.",
        ),
        p(
            "incoming-id",
            "highest free id".into(),
            "No manual says which id an accepted connection gets; captures from real modules show a listener on id 0 giving its first client id 11, then 9. With no id free the module reports +QIURC: \"incoming full\" and closes the connection. AT+QICFG=\"tcp/accept\",0 refuses connections (closed, logged).",
        ),
        p(
            "incoming-mode",
            "the listener's mode; buffer for a transparent listener".into(),
            "The notes disagree (inherit the listener's mode / buffer mode). An incoming connection takes the listener's buffer or push mode; a listener cannot be transparent (`ip-open-checks`).",
        ),
        p(
            "listener-pdp",
            "released with the context, no \"closed\"".into(),
            "When the PDP context goes, connections report +QIURC: \"closed\" and wait for AT+QICLOSE; a listener has no connection to report and is released at once (pdpdeact, when the network did it, tells the host).",
        ),
        p(
            "qistate-server-id",
            "the listener for TCP INCOMING, else the socket's own id".into(),
            "The manuals define <serverID> only for TCP INCOMING. Elsewhere the module prints the socket's own id, as AT+QSSLSTATE prints it in the same place. <IP_address>: the server for clients, the sender for incoming, the context's own address for a listener (remote port 0) and for a UDP SERVICE (with the remote port given at open), as the notes define it and a hardware capture shows.",
        ),
        p(
            "qird-after-close",
            "+QIRD: 0 once drained".into(),
            "After +QIURC: \"closed\" the data that came first stays readable with AT+QIRD; once drained a read answers +QIRD: 0 (the TCP/IP notes give ERROR only when there is no such connection) until AT+QICLOSE frees the id. The SSL family answers ERROR there (`recv-after-close`).",
        ),
        p(
            "qicfg-items",
            "kept and reported; recvind, viewmode, dataformat, tcp/accept act".into(),
            "AT+QICFG takes the items a module of this family lists, with their ranges; a restart forgets them. recvind adds <len> to +QIURC: \"recv\", viewmode 1 puts the data on the +QIRD line after a comma, dataformat sends and shows hex, tcp/accept 0 refuses incoming connections. The TCP tuning items (retransmission, keepalive, buffer sizes, transpktsize, transwaittm) are accepted and read back but the host's kernel does the TCP; transparent data is cut into packets by the +++ detector's release, not by transpktsize.",
        ),
        p(
            "qisde",
            "1 (echo)".into(),
            "The factory AT+QISDE value is not documented; the module echoes data typed at AT+QISEND's prompt (when ATE1) until AT+QISDE=0, as the SSL prompt always does.",
        ),
        p(
            "udp-datagram-size",
            format!("one send = one datagram, cut at {} bytes", 1460),
            "Each AT+QISEND payload is one datagram; a UDP socket in transparent mode sends what the +++ detector releases, cut into datagrams of at most 1460 bytes. Datagrams from the network are delivered whole: a read (or push frame) never mixes two, a shorter read leaves the rest of the same datagram for the next.",
        ),
        p(
            "qideact-resets",
            "releases the context's closed sockets".into(),
            "AT+QIDEACT (and AT+CGACT=0, AT+CFUN=0) closes the context's connections with \"closed\" URCs, and releases the sockets that were already closed (after +QIURC: \"pdpdeact\" the notes tell the host to run AT+QIDEACT to reset them); afterwards AT+QISTATE and AT+QSSLSTATE no longer list those.",
        ),
        p(
            "urc-turns",
            "push sockets and reports take turns".into(),
            "A push-mode socket whose buffer never runs dry used to keep the front of the URC queue, so other sockets' frames and reports waited for its stream to pause. After each frame (or when the host has no room for one) the socket's turn goes behind the other reports already due, but stays ahead of its own later reports, so its \"closed\" still follows its data. A report needs no room in the host's queue and is not held behind frames that do.",
        ),
        p(
            "stray-ctrl-z",
            "dropped before a line".into(),
            "Some hosts write Ctrl+Z after a fixed-length payload that already ended the send. A Ctrl+Z or ESC arriving with no command line started is dropped without echo instead of spoiling the next command; inside a line it is kept (and the line answers ERROR).",
        ),
        p(
            "ctzr-reports",
            "on a zone change from the control socket".into(),
            "The network's time reaches the module only through the control socket's clock verb (or a scenario); when it brings a new zone, AT+CTZR=1 writes +CTZV: <tz> and AT+CTZR=2 writes +CTZE: \"<tz>\",0,\"<local time>\" (zone in quarter hours, no daylight saving). AT+CCLK= from the host is not the network and reports nothing.",
        ),
        p(
            "sim-puk",
            "--sim-puk, default 12345678; 10 tries".into(),
            "After three wrong PINs AT+CPIN? reads +CPIN: SIM PUK and AT+CPIN=\"<puk>\",\"<new pin>\" (quoted or bare digits, new PIN 4 to 8 digits or +CME ERROR: 50) unblocks the card, sets the new PIN and writes +CPIN: READY, +QUSIM: 1, +QIND: SMS DONE; a PIN alone answers +CME ERROR: 12, a wrong PUK +CME ERROR: 16. The tenth wrong PUK blocks the card for good: AT+CPIN? and what needs the card answer +CME ERROR: 13 (SIM failure) and the boot output ends at +CPIN: NOT READY. AT+QPINC counts the tries left (maker: at most 3 PIN and 10 PUK tries); PIN2 is never asked for, so \"P2\" stays at 3,10. A card put back starts with full counters.",
        ),
        p(
            "qsimstat",
            "off; survives a restart".into(),
            "AT+QSIMSTAT? reads +QSIMSTAT: <enable>,<inserted> (1 with a card, 0 without; the maker's 2, before the card is read, never shows because the card is read at once). With AT+QSIMSTAT=1 the faults sim_removed and sim_inserted write +QSIMSTAT: 1,0 / +QSIMSTAT: 1,1 before their +CPIN: lines, as the maker's example orders them. The maker saves the setting at once, so a restart keeps it.",
        ),
        p(
            "crsm-files",
            "EF ICCID, IMSI, HPLMNwAcT; others 106,130".into(),
            "AT+CRSM READ BINARY (176) reads three elementary files built from the configured identity: 2FE2 (ICCID in swapped-nibble BCD, padded with F), 6F07 (IMSI with its length byte and parity nibble), 6F62 (one record: the home network of AT+COPS=? and the E-UTRAN bit). P1/P2 is the offset (past the end: 107,0); P3 = 0 or more than is left reads to the end. Any other file answers 106,130 (file not found); READ RECORD on these files 105,129, UPDATE 105,130 (no access), GET RESPONSE and STATUS 109,0. The ICCID needs only a card; the rest an unlocked one (+CME ERROR: 10/11/12/13). Malformed commands answer ERROR.",
        ),
        p(
            "cgcontrdp-values",
            "bearer 5 + cid - 1, mask 255.255.255.0, gateway 10.7.157.100".into(),
            "AT+CGCONTRDP prints, per active context, +CGCONTRDP: <cid>,<bearer_id>,\"<apn>\",\"<addr>.<mask>\",\"<gw>\",\"<dns1>\",\"<dns2>\" in 27.007's field order, every string quoted as Quectel firmware prints them; the address is the one of policy pdp-address, the DNS servers those AT+QIDNSCFG shows; an inactive context prints no line. No EG800Q/EG91xQ document found gives an example; some firmware leaves out the mask or the gateway, so hosts should not count fields.",
        ),
        p(
            "ccid",
            "+CCID: <iccid>".into(),
            "AT+CCID answers like AT+QCCID with its own prefix. The maker's EC2x/EG9x manual lists only AT+QCCID; Particle's client for EG91 and BG9x reads +CCID: from AT+CCID and notes the Quectel firmware's answer, so the emulator accepts it.",
        ),
        p(
            "keylog-source",
            "--keylog FILE, else SSLKEYLOGFILE".into(),
            "The secrets of every TLS session, on either engine (rustls and OpenSSL), go to one file as NSS key-log lines that Wireshark reads, one whole line per write. The flag wins; the variable (when set and not empty) is honoured as browsers and curl honour it. The --demo peer inside the daemon logs nothing itself (the daemon's client side already holds the same sessions); a standalone qsslsim peer --keylog (or SSLKEYLOGFILE) logs the server side.",
        ),
        p(
            "keylog-open",
            "exit 1 before READY if it cannot be opened".into(),
            "The file is created with mode 0600 (it holds secrets) and appended to; an existing file keeps its mode, with a warning if others may read it. Only a regular file is taken: the handshakes write the lines themselves, and a FIFO nobody reads would hold them up. One that cannot be opened (or is no regular file) stops the daemon with qsslsim: cannot open the TLS key log <path>: <cause>, as --trace does: a capture that cannot be decrypted later is worse than no start. A write that fails later is logged once and the daemon goes on.",
        ),
        p(
            "ip-service-checks",
            "OK, then 561 in the report".into(),
            "AT+QIDNSGIP, AT+QPING and AT+QNTP on a context that is not active answer OK and then report 561 (+QIURC: \"dnsgip\",561, +QPING: 561, +QNTP: 561), as hardware does for ping; AT+QIGETERROR reads 561. A context that goes down while a job runs (AT+QIDEACT, pdp_lost) ends the job with the same report.",
        ),
        p(
            "ip-service-busy",
            "ERROR (564 lookup, 568 ping/NTP)".into(),
            "One lookup, one ping and one time synchronisation may run at a time. A second AT+QIDNSGIP while one runs answers ERROR and records 564 (DNS busy); a second AT+QPING or AT+QNTP answers ERROR and records 568 (operation busy).",
        ),
        p(
            "dnsgip-failure",
            "+QIURC: \"dnsgip\",<err> alone".into(),
            "A failed lookup reports only its code, as host stacks expect (the manuals give no failure line): 565 for a name that does not resolve (unmapped in the sandbox, no usable DNS server, fault dns_failure), 564 for fault dns_busy, 561 for an inactive context.",
        ),
        p(
            "dns-ttl",
            format!("{} s for names, 0 for addresses", DNS_TTL.as_secs()),
            "The emulator's resolver (--resolve, localhost, the system's in --net host) gives no lifetime, so AT+QIDNSGIP reports a fixed one seen on hardware; an IP address resolves to itself with 0, as captured on hardware. Every address a name has is reported (several --resolve rules for one name give several).",
        ),
        p(
            "ping-method",
            format!("ICMP echo, else a TCP probe to port {PING_PROBE_PORT}; TTL {PING_TTL}"),
            "AT+QPING sends real ICMP echoes through an unprivileged ICMP socket when the system allows it (net.ipv4.ping_group_range); otherwise a TCP connect to the destination that is answered at all (accepted or refused) counts as the reply. Either way the time is measured, 32 bytes and TTL 255 are reported (the values in every hardware capture), and the echoes go one after another, each as soon as the previous one is answered or timed out.",
        ),
        p(
            "ping-failure",
            "+QPING: <err> alone; lost echoes 569".into(),
            "A ping that fails as a whole (name 565/564, context 561) reports only +QPING: <err>, with no summary. An echo not answered within <timeout> reports +QPING: 569 and counts as lost in the summary; when none came back, min, max and avg are 0.",
        ),
        p(
            "ip-service-sandbox",
            "lost at once: 569".into(),
            "In the sandbox, a ping or NTP destination that is not loopback after --route is unreachable: every echo reports +QPING: 569 at once and AT+QNTP reports +QNTP: 569 at once, with the reason in the log and trace, instead of waiting out the timeouts for packets that never leave the machine.",
        ),
        p(
            "ntp-timeout",
            format!("one request, {} s; +QNTP: <err> alone", NTP_TIMEOUT.as_secs()),
            "AT+QNTP sends one SNTP request and waits this long for the answer before reporting +QNTP: 569; a failure reports only its code (565 name, 561 context). An answer that is not a server's (mode 4) with a non-zero stratum is ignored.",
        ),
        p(
            "qntp-autosettime",
            "default 1; UTC fields, module zone".into(),
            "<autosettime> defaults to 1 (the manuals list 0/1 without a default): the module clock (AT+CCLK) takes the server's UTC time and keeps its zone. +QNTP: 0,\"YYYY/MM/DD,hh:mm:ss±zz\" prints the UTC time with the module's zone tag, as captured on hardware. AT+QNTP? answers +QNTP: \"<server>\",<port> only while a synchronisation runs, else just OK.",
        ),
        p(
            "net-port-clients",
            "one client at a time; another is closed at once".into(),
            "The --tcp and --rfc2217 endpoints are one serial port: a client that connects while another has the port (on either endpoint) is closed at once, with a log line naming the one connected, as ser2net does by default (replacing the older client is its opt-in). When a client disconnects the module keeps its state, as when a terminal closes the pty, and the next client may connect.",
        ),
        p(
            "net-port-and-pty",
            "a connected client is the AT port; the pty is set aside".into(),
            "The pty always exists. While a network client is connected, the module's output goes only to it and bytes written to the pty are dropped (logged); output queued for one holder and not yet written is dropped when the port changes hands. When the client leaves, the pty is the AT port again; a DTR the client left dropped is asserted again (no DTR event) and RTS counts as on.",
        ),
        p(
            "net-port-listen",
            "loopback unless --listen-any".into(),
            "A --tcp or --rfc2217 address that is not loopback is refused (exit 2) unless --listen-any is given: the port has no authentication and drives real TLS connections.",
        ),
        p(
            "rfc2217-baud",
            "acknowledged and logged; changes nothing".into(),
            "SET-BAUDRATE (and data size, parity, stop size) is answered with the value asked for, logged and traced (record type port); it changes neither AT+IPR nor the --baud pacing, and bytes pass unchanged even when the rate differs from AT+IPR's, where a real UART would garble them (the log line says so).",
        ),
        p(
            "rfc2217-lines",
            "DTR per AT&D, RTS per AT+IFC, CTS and DSR on".into(),
            "SET-CONTROL DTR OFF is the host dropping DTR (AT&D decides what happens), DTR ON asserts it; RTS OFF holds the module's output while AT+IFC's first value is 2 and is logged as ignored otherwise. The modem state sent once the option is agreed, and on NOTIFY-MODEMSTATE polls, is CTS and DSR on, no carrier detect or ring; the line state is 0. PURGE-DATA drops the client's bytes the module has not read and/or output not yet sent to it; BREAK and flow-control modes are acknowledged and logged.",
        ),
        p(
            "cpsms",
            format!(
                "stored and read back, never sleeps; defaults {}, \"{}\", \"{}\"",
                crate::psm::DEFAULT_MODE,
                crate::psm::DEFAULT_PERIODIC_TAU,
                crate::psm::DEFAULT_ACTIVE_TIME
            ),
            "AT+CPSMS keeps <mode> and the requested T3412 and T3324 with the non-volatile settings (they survive restarts) and reads them back as +CPSMS: <mode>,,,\"<T3412>\",\"<T3324>\", the BG96 manual's field order (the EC2x/EG9x manual has no AT+CPSMS). PSM itself is not simulated: the module never sleeps, sends no PSM POWER DOWN and stays reachable. The defaults are the manual's example values (40 min, 30 s; it gives no defaults). A timer left out keeps its stored value; mode 2, or AT+CPSMS= with nothing, restores the defaults with mode 0. The GERAN timers (RAU, READY) are checked and not kept: the read form leaves them empty, as every capture does. The test form lists (0-2),,,(\"00000000\"-\"11111111\") twice.",
        ),
        p(
            "cpsms-errors",
            "+CME ERROR: 50".into(),
            "A <mode> other than 0, 1 or 2, a timer that is not eight binary digits in quotes, or more than five parameters answers +CME ERROR: 50 (incorrect parameters; ERROR under AT+CMEE=0). The BG96 manual lists only ERROR for the write form; the +CME form follows the module's other 27.007 parameter checks. AT+CPSMS without = answers ERROR.",
        ),
        p(
            "qpsms",
            "ERROR (no such command)".into(),
            "AT+QPSMS is a command of the maker's LTE-M/NB-IoT modules; neither the EC2x/EG9x manual nor the BG96 manual V2.0 has it, so this family answers ERROR to every form of it, as for any unknown command.",
        ),
        p(
            "qcellscan",
            "ERROR (no such command)".into(),
            "AT+QCELLSCAN is the BG95/BG77 LTE-M/NB-IoT cell scan (pico_lte sends it); the EC2x/EG9x manual has no such command and no result format for it was found, so this family answers ERROR to every form, as for any unknown command. AT+QENG=\"neighbourcell\" is this family's way to list cells.",
        ),
        p(
            "ssl-checkhost",
            "ERROR (no such item)".into(),
            "AT+QSSLCFG=\"checkhost\" is an item of the BG95/BG77 SSL notes (mbed-os and bg9x_ssl_zephyr send it). The SSL note of this family lists every item in its test form and has none by that name: the host name is checked as part of certificate verification under seclevel 1/2, and skipped with ignorecertitem bit 4. So every form answers ERROR, as an unknown item does, and a host that needs it learns so here rather than on the module.",
        ),
        p(
            "qsslstate-one-client",
            "ERROR".into(),
            "The SSL note's syntax is AT+QSSLSTATE[=<clientID>], one parameter. TinyGSM sends AT+QSSLSTATE=1,<id>, copying AT+QISTATE's <query_type>,<connectID> form; the emulator answers it ERROR as the documented syntax implies (no capture shows the module accepting it).",
        ),
        p(
            "ceer",
            format!("+CEER: \"{}\"", crate::readings::READINGS.release_cause),
            "The emulator keeps no call or PDP release causes, so AT+CEER always reports the maker's default cause (first row of the manuals' release cause list), quoted as a string. The test form answers OK alone.",
        ),
        p(
            "cbc-qtemp",
            {
                let r = crate::readings::READINGS;
                let [pmic, xo, pa] = r.temperatures;
                format!("+CBC: {},{},{}; +QTEMP: {pmic},{xo},{pa}", r.charge_status, r.charge_level, r.voltage_mv)
            },
            "A pty has no battery or thermometer: AT+CBC reports a module on a steady supply (not charging, fixed level and mV) and AT+QTEMP fixed PMIC, crystal and PA temperatures in the three-integer form EC2x/EG25 firmware prints and TinyGSM reads (no manual read has AT+QTEMP). AT+CBC=? lists (0-2),(0-100),(3300-4300); AT+QTEMP=? answers OK alone.",
        ),
        p(
            "http-errors",
            "+CME ERROR: 730 / 703 / 705 / 712".into(),
            "The HTTP commands answer from the maker's HTTP(S) error table (701-730, texts under AT+CMEE=2): a bad parameter, an unknown AT+QHTTPCFG item or a URL longer than the limit is 730 (invalid parameter); a command while a GET/POST still waits for its response head is 703 (busy); AT+QHTTPREAD with no response to read (none requested, failed, or already read) is 705; AT+QHTTPGET/POST before any AT+QHTTPURL is 712 (empty URL). AT+QHTTPCFG? lists all five items the emulator has (contextid, requestheader, responseheader, sslctxid, contenttype); AT+QHTTPURL? prints the URL unquoted.",
        ),
        p(
            "http-input",
            format!("URL 1-{} bytes, POST body 1-{} bytes, no +++", crate::http::MAX_URL_LEN, crate::cmd::http::MAX_POST_LEN),
            "The URL after AT+QHTTPURL's CONNECT and the body after AT+QHTTPPOST's CONNECT are exactly <len> bytes, taken by the same data-phase machine as AT+QFUPL with the +++ escape and ACKs off; <timeout>/<input_time> counts silence since the last byte, as AT+QFUPL's does. A URL that is not http:// or https:// with a host (or has user information, a bad port or spaces) answers +CME ERROR: 711 after the data. AT+QHTTPPOST prompts at once and contacts the server after the body (the module may connect first; the host sees the same bytes).",
        ),
        p(
            "http-timeouts",
            "input 702; <rsptime> 702; <wait_time> 722".into(),
            "Silence for <timeout>/<input_time> during the URL or POST body answers +CME ERROR: 702 and keeps nothing. A response head that does not arrive within <rsptime> (default 60 s, counted from the command) reports +QHTTPGET: 702 (+QHTTPPOST: 702). AT+QHTTPREAD writes CONNECT and what has arrived, streams the rest, and when <wait_time> passes with the body unfinished ends with OK and +QHTTPREAD: 722; the daemon also gives up a body read that is silent for <rsptime> with 722.",
        ),
        p(
            "http-pdp",
            "OK, then +QHTTPGET: 709".into(),
            "A GET or POST whose \"contextid\" context is not active answers OK and reports +QHTTPGET: 709 (+QHTTPPOST: 709), network deactivated; the module does not activate it by itself. A context lost during a request reports 709 the same way.",
        ),
        p(
            "http-requestheader",
            "stored; GET/POST answer +CME ERROR: 701".into(),
            "AT+QHTTPCFG=\"requestheader\",1 is stored and read back, but the form where the host writes the whole request is not emulated: AT+QHTTPGET and AT+QHTTPPOST then answer +CME ERROR: 701 with the reason in the log.",
        ),
        p(
            "http-request-head",
            "HTTP/1.1, User-Agent: QUECTEL_MODULE, Connection: close".into(),
            "The request is <METHOD> <path?query> HTTP/1.1 with Host (as in the URL), Accept: */*, User-Agent: QUECTEL_MODULE and Connection: close; a POST adds Content-Type from \"contenttype\" and Content-Length. The response head is read up to 64 KiB (1xx skipped); the body by Content-Length, chunked (decoded) or until the server closes. +QHTTPGET carries <content_length> only when the response has Content-Length. Connect refused, timed out or a failed TLS handshake (or an SSL context that cannot be prepared) report 716, a name that does not resolve 714, a malformed head 723, a server that closes before the head 719. AT+QHTTPREAD gives the response once, with its head first under \"responseheader\",1; a new GET/POST discards an unread one.",
        ),
        p(
            "gnss-ttff",
            format!(
                "fast {} s, realistic {} s, instant 0",
                FAST_GNSS_FIX.as_secs(),
                REALISTIC_GNSS_FIX.as_secs()
            ),
            "The first fix comes this long after AT+QGPS=1's OK, on the module's clock (a paused clock in tests); until then AT+QGPSLOC answers +CME ERROR: 516 (not fixed now). Realistic: a cold start with the manual's default <fixmaxtime> of 30 s; fast keeps the not-fixed answer visible without the wait. <fixmaxtime> and <fixmaxdist> are checked and not used. With <fixcount> n the engine fixes n times <fixrate> seconds apart and then turns itself off (AT+QGPS? reads 0, AT+QGPSLOC answers 505). A restart or power cycle ends the session.",
        ),
        p(
            "gnss-fix",
            {
                let (g, r) = (crate::gnss::GnssPosition::DEFAULT, crate::gnss::FIX_REPORT);
                format!(
                    "{},{},{} (--gnss-fix); hdop {}, fix {}, cog {}, {} km/h, {} kn, {:02} satellites",
                    g.lat, g.lon, g.alt, r.hdop, r.fix, r.cog, r.spkm, r.spkn, r.nsat
                )
            },
            "One simulated position, standing still: the Royal Observatory, Greenwich unless --gnss-fix LAT,LON[,ALT] names another (altitude 0 when left out). <UTC> is the module clock's time truncated to the second and written hhmmss.sss, and <date> its ddmmyy, as EC2x-family captures show (the BG96 prints hhmmss.s). Mode 2 prints degrees with five decimals and a minus sign for south and west, unpadded; modes 0 and 1 print degrees and minutes with four or six decimals and N/S, E/W. AT+QGPSLOC? answers as mode 0 (the manual's example); AT+QGPSLOC=? prints the manual's field list.",
        ),
        p(
            "gnss-errors",
            "+CME ERROR: 501/502/504/505/516 per AT+CMEE".into(),
            "Every GNSS refusal is a +CME ERROR from the GNSS manual's table, rendered per AT+CMEE (plain ERROR under 0, the table's texts under 2): a bad parameter, a missing or extra one, or a form the command lacks (AT+QGPS, AT+QGPSLOC, AT+QGPSEND=1) is 501; <gnssmode> 2-4 is 502 (only stand-alone is supported, as the manual says); AT+QGPS=1 while on is 504; AT+QGPSEND or AT+QGPSLOC while off is 505; AT+QGPSLOC before the first fix is 516. GNSS needs no SIM and runs in any AT+CFUN mode.",
        ),
        p(
            "sms-sent",
            format!("+CMGS: <mr> from 0, wrapping after 255; the last {} in ctl state", crate::sms::SENT_KEPT),
            "A message sent with AT+CMGS goes nowhere: after Ctrl+Z the module answers +CMGS: <mr> and OK at once, logs the message at info, traces it (record sms_sent: mr, to, format, body) and lists it in ctl state under sms_sent with the module clock's time (the oldest dropped past the limit; the log and trace keep every one). <mr> counts up from 0 and wraps after 255, kept across restarts like the card's last reference. ESC answers OK, sends nothing and uses no reference (27.005). PDU mode records the destination read from the TPDU and the PDU as hex; the module's <mr> replaces the PDU's.",
        ),
        p(
            "sms-text",
            format!(
                "{} characters (GSM, IRA), {} in UCS2; <CR> gives a new > line",
                crate::sms::MAX_TEXT_CHARS,
                crate::sms::MAX_UCS2_CHARS
            ),
            "Text mode (AT+CMGF=1) takes one message of up to 160 characters in the GSM and IRA sets, or 70 characters written as four hex digits each in UCS2, where the number is UCS2 hex too; longer text answers +CMS ERROR: 305 after Ctrl+Z. Every <CR> typed at the prompt stays in the text, and the module answers it with <CR><LF> and a fresh > prompt, as 27.005 describes. AT+CMGF starts at 0 (PDU) and is kept across restarts (the maker saves it); AT+CSCS starts at \"GSM\", lists (\"GSM\",\"IRA\",\"UCS2\") and is forgotten on restart; other sets (TinyGSM's \"HEX\") answer ERROR. AT+CSMP starts at 17,167,0,0 and is forgotten on restart; a <dcs> of the UCS2 alphabet (TinyGSM's 8) makes the text UCS2 hex whatever the set, as 27.005 says; an absolute validity period (a time string) answers ERROR. A bare number in text mode is the destination's digits; <toda> defaults to 145 for a leading + else 129.",
        ),
        p(
            "sms-errors",
            "+CMS ERROR per AT+CMEE; ERROR for AT+CMGF/AT+CSCS values".into(),
            "SMS failures are +CMS ERROR: <err> with 27.005's codes, rendered like +CME ERROR per AT+CMEE (plain ERROR under 0, TinyGSM's setting; the code's text under 2): the manuals describe AT+CMEE for +CME only, so the module's one switch is applied to both. AT+CMGS checks the SIM before the prompt (310 none, 311 PIN, 316 PUK, 313 blocked) and its parameters per mode (304 in PDU mode: not a <length> of 1-164; 305 in text mode: <da> not 1-20 digits with an optional +, <toda> not 0-255); after Ctrl+Z a PDU that is not hex, not <length> octets after its SMSC address or not an SMS-SUBMIT is 304, and a module without service (not registered, AT+CFUN=0/4) answers 331 (no network). Bad AT+CMGF and AT+CSCS values answer ERROR (27.005: syntax and parameter errors are ERROR). AT+CMGF and AT+CSCS need no SIM.",
        ),
        p(
            "ath",
            "OK; ends a held PPP call; sockets untouched, transparent or not".into(),
            "The maker's manuals (EC2x/EG9x and BG96, section 7.3, after V.25ter) say ATH[0] ends circuit-switched data or voice calls; the emulated module has neither, but a PPP data call left with +++ is ended (its PDP context deactivated, ATO then answers NO CARRIER), as pppd's and Particle's hang-up scripts expect. A socket in transparent mode that the host left with +++ stays open: the manuals close TCP/IP and SSL connections with AT+QICLOSE/AT+QSSLCLOSE, and ATO still returns to it after ATH. ATH1 and up answer ERROR (only 0 is listed).",
        ),
        p(
            "ppp-dial",
            "CONNECT; ERROR for other dial strings, an undefined or active context, a held call; NO CARRIER when the context cannot be activated".into(),
            "ATD*99#, ATD*99***<cid># (27.007's *99[*[<called_address>][*[<L2P>][*[<cid>]]]]#, T or P allowed before it, context 1 by default) and AT+CGDATA=\"PPP\"[,<cid>] start a PPP call: the dial activates the context and answers CONNECT alone (no rate: Zephyr, Particle and pppd chat scripts match CONNECT), and the port is in PPP mode. While the call is up AT+CGACT? shows the context active and AT+CGPADDR its address; when it ends the context is deactivated. A context already active (AT+QIACT or AT+CGACT) answers ERROR: the module's own TCP/IP stack holds it, and Zephyr's script sends AT+CGACT=0,1 first for that reason. A context that AT+CGDCONT never defined, a dial while a call is held after +++, and other dial strings (voice, CSD, *98#) answer ERROR. With the radio off, no registration or a missing APN where the network needs one the dial answers NO CARRIER, the V.250 result of a call that did not connect. AT+CGDATA with an <L2P> other than \"PPP\" answers +CME ERROR: 4; its test form lists (\"PPP\").",
        ),
        p(
            "ppp-mode",
            "+++ keeps the call, ATO resumes with CONNECT; ATH and AT&D2 end it; NO CARRIER when the link ends".into(),
            "In PPP mode +++ with the guard time (AT&D1 DTR too) returns to command mode with OK and the call kept; downlink waits and ATO answers CONNECT and resumes. ATH (after +++) ends the call with OK, DTR under AT&D2 with NO CARRIER, AT&D0 ignores DTR. The call ends with NO CARRIER, once the bytes before it are out, when the host terminates LCP (after the Terminate-Ack) or stops answering negotiation, when the PDP context is lost (fault pdp_lost, AT+CFUN=0, AT+CGACT=0) or the link drops (fault connection_reset without a socket), and silently (ATO then answers NO CARRIER) when that happens while the port is in command mode. A module restart ends it.",
        ),
        p(
            "ppp-lcp",
            "asks ACCM 0, CHAP-MD5, magic, PFC, ACFC; any credentials accepted".into(),
            "The module's LCP Configure-Request asks ACCM 0, authentication by CHAP with MD5, a magic number, PFC and ACFC, as Qualcomm-based modules do in pppd logs; a host that Naks the authentication for PAP gets PAP, one that Rejects it gets none. Any CHAP Response gets Success (the Challenge is named UMTS_CHAP_SRVR), any PAP Authenticate-Request an Ack: the network, not the module, would check credentials. The host's MRU, ACCM, magic number, PFC and ACFC are accepted (a magic number equal to the module's or zero Nak'd, an MRU below 128 too: see ppp-mru), a request that the module authenticate itself is rejected, as is any other option. Echo-Request gets Echo-Reply; unknown codes Code-Reject; protocols other than LCP, PAP, CHAP, IPCP and IPv4 (IPV6CP, CCP) Protocol-Reject in the network phase (before it they are discarded, RFC 1661 3.4-3.5). A Configure-Ack must repeat the request's options exactly, and a Nak or Reject of an opened link's request restarts it (RFC 1661 5.2, 4.1). Requests are resent every 3 s, 10 times (RFC 1661's defaults), then the call ends; a host that never sends its PAP Authenticate-Request gets as long (30 s). A Code-Reject of a code LCP needs (1-7) and a Protocol-Reject of IPCP (or, while authenticating, of PAP or CHAP) end the call: nothing else could run on the link (RFC 1661 5.6-5.7); a Configure-Reject naming options the module did not ask for is discarded (5.4). After five Configure-Naks in a row (RFC 1661's Max-Failure) an option that would be Nak'd is rejected, in LCP and IPCP alike.",
        ),
        p(
            "ppp-ipcp",
            "host address 10.7.157.<cid>, DNS of the context; module end 10.7.157.100".into(),
            "IPCP gives the host the context's address (the one AT+CGPADDR shows) and the context's DNS servers (AT+QIDNSCFG) by Nak when it asks 0.0.0.0 or anything else (RFC 1877's options 129 and 131), and the address by Nak too when it asks none (RFC 1332 3.3); the module's own end is the gateway AT+CGCONTRDP shows. VJ compression, NBNS and other options are rejected.",
        ),
        p(
            "ppp-ip",
            format!(
                "TCP dialled before the SYN is accepted; UDP relayed; DNS answered from the resolver; ping answered; {} KiB downlink window",
                crate::ppp::DOWNLINK_WINDOW / 1024
            ),
            "Behind the link the daemon runs a user-space IP stack (smoltcp) that takes every destination. A SYN to a new address and port is held while the daemon connects there through the same mapping as AT+QIOPEN (--resolve, --route, the sandbox, faults); connected, the SYN is accepted and bytes are relayed both ways with backpressure, FIN both ways; refused or unreachable, the host gets RST. UDP datagrams go out on a real socket per host port and destination, replies come back from the destination the host used. Queries to port 53 of the DNS servers IPCP gave are answered from the daemon's resolver (A records; other types answered empty; NXDOMAIN for names that do not resolve). ICMP echo requests to any address are answered by the module's network: no ping leaves the machine. At most 64 TCP connections and 64 UDP flows per call (RST and drops beyond). The daemon sends at most 32 KiB of downlink ahead of what the module has written to the host.",
        ),
        p(
            "ppp-mru",
            "host MRU of 128 or more acked and honoured up to 1500 (longer IPv4 packets to the host dropped, counted); below 128 Nak'd with 128".into(),
            "RFC 1661 (6.1) lets a peer ask for packets smaller than 1500 octets and gives no lower bound; the module acks any MRU from 128 up (pppd's own minimum), sends the host no IPv4 packet longer than the MRU it acked (the packet is dropped and counted, not fragmented: a host with a small MRU announces a matching TCP MSS, so only oversized UDP or ICMP replies are lost) and truncates Code-Reject and Protocol-Reject to it; an MRU above 1500 is acked and 1500 is still the most sent. Below 128 is Nak'd with 128, which pppd and lwIP take. Until LCP opens, control characters the module's ACCM flags that arrive unescaped were inserted by the line and are removed (RFC 1662 7.1); once the host acked ACCM 0 every byte counts.",
        ),
        p(
            "qdsim",
            "+QDSIM: <slot>, 0 or 1, default 0; kept across restarts; the card answers in either slot".into(),
            "The EC2x/EG9x manual's (U)SIM chapter and the BG96 manual V2.0 have no AT+QDSIM, but host stacks send it to this family's parts and to its Cat 1 siblings (Particle AT+QDSIM=0 to the EG91, a Zephyr EG25-G fork, EC800/EG800 and EG915 drivers) and parse a read form of one integer, +QDSIM: <n> (0 SIM1, 1 SIM2), so the module accepts it. The slot is kept with the non-volatile settings (hosts switch it, then restart the radio or the module). The emulator has one simulated card, and it answers whichever slot is selected. The test form lists (0,1); other values, or the exec form, answer ERROR.",
        ),
        p(
            "cmux-urcport",
            "+QCFG: \"cmux/urcport\",<n>, 0-4, default 0; 0 and 1 are DLCI 1, 2-4 DLCI 2-4".into(),
            "AT+QCFG=\"cmux/urcport\" picks the CMUX channel that carries URCs. It is named in the maker's EC2x/EG2x/EG9x QCFG manual (not among the pages read); captures of the test form show (0-4),(0,1) on EC2x parts and (0-4) on BG9x. The value is stored with the non-volatile settings (the QCFG items are saved at once) and read back as +QCFG: \"cmux/urcport\",<n>; the factory value 0 is a choice, and so is its meaning: in mux mode URCs (and push-mode data) go to DLCI 1 for 0 or 1 and to DLCI <n> for 2-4 (Particle sets 1 and reads URCs on its one AT channel, DLCI 1). While that DLC is not open, or is in a data mode or busy with a command, URCs wait in the queue as they do on the plain port. The second value of the test form is checked (0 or 1) and not kept, its meaning being undocumented in what was read. Other values answer ERROR.",
        ),
        p(
            "cmux-params",
            "AT+CMUX=0[,0[,1-7[,1-32768[,1-255[,0-100[,2-255[,1-255[,1-7]]]]]]]]; defaults 0,0,5,127,10,3,30,10,2; ERROR otherwise and inside mux mode".into(),
            "AT+CMUX takes the 27.007 parameters. Only the basic option (<mode> 0) with UIH frames (<subset> 0) is offered, as the maker's manuals for its older parts (M10) say; the defaults an empty field takes are the ones those manuals print in the read form (0,0,5,127,10,3,30,10,2). The ranges are choices wide enough for the host stacks: Zephyr sends 0,0,5,127 (BG9x) and 0,0,5,127,10,3,30,10,2 (EG25-G), Particle 0,0,7,1509,,,,, (460800 bit/s, N1 1509), so <port_speed> is 1-7 and <N1> 1-32768; T1 1-255, N2 0-100, T2 2-255, T3 1-255 and k 1-7 follow 27.007's own ranges. <port_speed> and the timers are stored and printed, not used (the pty has no rate and the module never retransmits); N1 is the largest information field both ways, as 27.010 defines it: the module splits longer writes, and a frame from the host whose length field says more than N1 is skipped at once (policy cmux-frames). The answer OK goes out on the plain port and everything after the line, even in the same read, is frames. If a later command of the same line fails, or enters a data mode or waits (AT+QFUPL, a transparent AT+QSSLOPEN, ATD), AT+CMUX takes no effect and that command runs on the plain port: mux mode under it would leave it where no frame reaches it. AT+CMUX? prints the running values in mux mode and the defaults outside it; AT+CMUX=? lists the ranges. A bad value, the exec form, a missing <mode> or a tenth parameter answers ERROR, and so does AT+CMUX on a channel (mux mode is on already).",
        ),
        p(
            "cmux-frames",
            format!("DLCI 1-{} are AT channels; the module is the responder: UA/DM with C/R 1, its UIH with C/R 0; DM for a closed or unknown DLC; bad frames skipped and traced", crate::mux::MAX_DLCI),
            "The maker's modules offer four AT channels over CMUX, DLCI 1-4 (DLCI 0 is the control channel), so SABM for DLCI 0-4 answers UA (again UA if already open) and SABM for any other DLCI answers DM. DISC of an open DLC answers UA and drops that channel's state (its sockets stay as they are); DISC of a closed one answers DM; DISC of DLCI 0 closes down the multiplexer like CLD. UI frames are taken like UIH frames (their FCS covers the information field too, as 27.010 says for every type but UIH); UIH or UI data for a DLC that is not open answers DM, as Linux n_gsm does. The host opens the link, so it is the initiator and the module the responder: per 27.010's table the module's responses carry C/R 1 in the address octet and its own UIH frames C/R 0. The F bit of a response repeats the P bit of the frame it answers. Bytes outside a frame, frames with a bad FCS, a length that does not end on a flag or is longer than N1 (as Linux n_gsm drops frames beyond its MRU: a corrupted length octet would otherwise swallow up to 32 KiB of the frames after it), or an unknown control octet are skipped, counted, logged and traced (a failure record starting mux:), and the decoder looks for the next flag: a frame split across reads is put together. UA and DM from the host answer nothing the module sent and are traced and ignored.",
        ),
        p(
            "cmux-control",
            "CLD and DISC 0: answered, back to the plain port; Test, MSC, FCon, FCoff, PSC: answered with their values; PN: accepted with UIH and convergence layer 1; other types: NSC".into(),
            "Control channel messages on DLCI 0 are answered as 27.010 describes, with the C/R bit of the type octet cleared: CLD answers CLD and mux mode ends once the answer is out (the plain port comes back with the settings it had before AT+CMUX; every channel's state is dropped, sockets stay, see cmux-release; bytes after the CLD or DISC 0 frame, even in the same read, are the plain port's); Test echoes its pattern; MSC answers with the same DLCI and signals (the module asks for no flow control; the signals do not act on the channel: DTR acts through the pin, see cmux-channels); FCon, FCoff and PSC are acknowledged with their values and change nothing; PN is accepted with the host's values except that the frame type is UIH and the convergence layer 1, the only ones offered. Any other type (RPN, RLS, SNC, ...) answers NSC naming it. Responses from the host answer nothing the module asked and are ignored.",
        ),
        p(
            "cmux-flow",
            "MSC with FC set while a channel's transparent send buffer is full or it holds 4 KiB of input behind a busy command; the whole port waits past twice that".into(),
            "In mux mode the UART's RTS/CTS cannot stop one channel, so the module uses 27.010's own per-DLC flow control: when the transparent socket of a channel has 64 KiB in flight (policy recv-buffer's send-side twin, TX_BUFFER_BYTES), the module sends an MSC command for that DLCI with the FC bit set (signals RTC, RTR, DV), and the same MSC with FC clear once the network has taken enough or the data mode ended. Bytes a host sends on anyway follow transparent-flow-control (kept with AT+IFC=2,2, lost and traced without flow control); with AT+IFC=2,2 the daemon stops reading the port altogether once a channel holds twice the buffer, so nothing is lost and memory stays bounded, at the cost of the other channels waiting too, as a UART's CTS would make them. The same MSC stops a channel that holds HELD_INPUT_BYTES (4 KiB) of input while its command runs (the limit at which the plain port stops being read); only past twice that does the whole port wait, so a busy command on one channel does not hold up the others.",
        ),
        p(
            "cmux-channels",
            "each DLC an AT port of its own: mode, busy command, echo/ATV/AT+CMEE, held input; answers on the channel that ran the command; the pin's DTR acts on every channel; <AT_port> unchanged".into(),
            "Each open DLC is an AT port with its own command/prompt/transparent/upload mode, command in progress, line assembler, held input and ATE/ATV/AT+CMEE framing, which start as the plain port had them when AT+CMUX ran (Zephyr sends ATE0 before, Particle nothing). Sockets, PDP contexts, other settings and the URC queue are the module's. A command's answer, prompt, CONNECT, transparent data, NO CARRIER and OK after +++ go to the channel that ran it, also when they come later from the network (an open in transparent mode, a lingering AT+QSSLCLOSE, AT+QHTTPREAD); a command on one channel never waits for another channel's. A command on one channel that ends a socket another channel waits on or is in transparent mode on (AT+QIDEACT, AT+CGACT=0, AT+CFUN=0, AT+QSSLCLOSE/AT+QICLOSE, and the pdp_lost fault) ends it as on that channel's own plain port: a transparent open fails there with ERROR (no URC), a lingering close answers OK there, and its transparent mode ends there with NO CARRIER (after the command's own answer, no \"closed\" URC). A command on another channel that closes the socket a channel's command waits on answers that command after its own answer: a transparent open with ERROR, a lingering close with OK; an AT+QHTTPREAD whose request another channel's command ended (the context deactivated) ends at once with that request's error. A socket in transparent mode on one channel is that channel's: AT+QISWTMD for it on another channel answers ERROR (572, operation not allowed), so no two channels share one socket's data mode. +++ acts on the channel it was typed on, with its own guard time, and ATO returns to that channel's last transparent socket only while no other channel has taken it into transparent mode and it was not released meanwhile (else NO CARRIER, as on the plain port). The DTR pin is one for the whole port, so a drop acts (per AT&D) on every channel that is in a data mode; MSC signals do not act. The <AT_port> field of AT+QSSLSTATE and AT+QISTATE keeps the configured port name in mux mode (the maker's later parts print cmux1-cmux4 there; not emulated). A restart (AT+CFUN=1,1, AT+QPOWD, the module_restart fault) ends mux mode: the boot output comes on the plain port; AT+QPOWD's POWERED DOWN is the last frame, on the URC channel. A PPP call (ATD*99#) belongs to the channel that dialled it, or that last resumed it with ATO (also a call dialled on the plain port and escaped before AT+CMUX): its bytes, CONNECT after ATO and NO CARRIER go there (when a command on another channel ends the call, AT+CFUN=0 say, that command's OK comes first, then NO CARRIER on the call's channel), and it ends (context down, no NO CARRIER) when that DLC is released or mux mode ends.",
        ),
        p(
            "cmux-release",
            "a DLC released (DISC) or mux mode ended (CLD, DISC 0) under a channel's data mode or command: a transparent socket goes to buffer mode, a transparent open ends as a buffer-mode open, a lingering close ends at once; no answer".into(),
            "The manuals say nothing of a DLC that goes away while its channel is in a data mode or waits for a command. Nobody can type +++ on a released channel or read its answers, so the module leaves no socket in a mode nobody can leave and loses no byte silently: a socket in transparent mode on that channel goes to buffer mode as after +++ (any + bytes held back as a possible escape were data and are sent; data already buffered is announced with a recv URC on the URC channel, later data likewise); an AT+QSSLOPEN/AT+QIOPEN in transparent mode still waiting ends as a buffer-mode open, its result a +QSSLOPEN/+QIOPEN URC; an AT+QSSLCLOSE/AT+QICLOSE still lingering ends at once as when its linger runs out (the connection aborted, the socket released). No OK, CONNECT or NO CARRIER is written for the gone channel; a send prompt, an upload or input held on it is dropped, and the drop is logged and traced. A PPP call on it ends (policy cmux-channels). A DLC opened again starts fresh, with no MSC flow stop pending.",
        ),
        p(
            "cedrxs",
            format!(
                "stored and read back, eDRX never used; defaults {}, \"{}\"; +CME ERROR: 50 for bad values",
                crate::edrx::DEFAULT_MODE,
                crate::edrx::DEFAULT_VALUE
            ),
            "AT+CEDRXS keeps <mode> and the requested eDRX value with the non-volatile settings, like AT+CPSMS (neither 27.007 nor the BG96 manual says whether they are saved). The read form prints +CEDRXS: 4,\"<value>\" while eDRX is on (mode 1 or 2) and no line while it is off, as 27.007 lists only the access technologies using eDRX (FreeRTOS reads no line as no setting). <AcT-type> 4 (E-UTRAN) is the module's only one: it may be left out, another answers +CME ERROR: 50, as do a <mode> other than 0-3, a value that is not four binary digits in quotes, or more than three parameters (the BG96 manual lists only ERROR; the +CME form follows AT+CPSMS). A value left out keeps the stored one; mode 3, or AT+CEDRXS= with nothing, turns eDRX off and restores the default value, which is a choice (20.48 s; no manual gives one). eDRX is not simulated: the network never grants it and +CEDRXP is never sent, even in mode 2. The test form lists (0-3),(4),(\"0000\"-\"1111\"). AT+CEDRXS without = answers ERROR.",
        ),
        p(
            "qeng",
            format!(
                "servingcell: FDD band {}, EARFCN {}, PCI {}, 20 MHz, state NOCONN/LIMSRV/SEARCH; neighbourcell: no cells",
                crate::registration::LTE_BAND,
                crate::registration::LTE_EARFCN,
                crate::registration::LTE_PCI
            ),
            "AT+QENG=\"servingcell\" prints the LTE line of the EC2x/EG9x manual (6.17): state, \"LTE\", \"FDD\", MCC and MNC (from the serving operator's numeric name, the MNC as its digits), cell id and TAC in hex as AT+CEREG has them, PCI, EARFCN and band as AT+QNWINFO has them, UL/DL bandwidth code 5 (20 MHz), then RSRP, RSRQ and RSSI as AT+QCSQ derives them from the CSQ level, SINR in whole dB (AT+QCSQ's value / 5 - 20, rounded down) and <srxlev> = RSRP + 140 (a cell minimum of -140 dBm). The state is NOCONN while registered (the emulator has no RRC connection to show, even with data flowing), LIMSRV while the network refuses registration (camped, stat 3), and otherwise (searching, not registered, radio off, no SIM) the line is +QENG: \"servingcell\",\"SEARCH\" alone. The PCI is a choice. \"neighbourcell\" answers OK with no lines (the manual's lines are optional; no neighbours are simulated). The test form lists (\"servingcell\",\"neighbourcell\"); any other cell type or form answers ERROR.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    /// `cargo test -p qsslsim-modem print_policy_rows -- --ignored --nocapture` prints the
    /// table rows for docs/policies.md.
    #[test]
    #[ignore = "prints the documentation rows"]
    fn print_policy_rows() {
        for p in super::policies() {
            println!("| `{}` | {} | {} |", p.name, p.choice, p.why);
        }
    }

    #[test]
    fn every_policy_is_documented() {
        let doc = include_str!("../../../docs/policies.md");
        for p in super::policies() {
            let row = format!("| `{}` | {} | {} |", p.name, p.choice, p.why);
            assert!(doc.contains(&row), "docs/policies.md lacks or differs from:\n{row}");
        }
    }
}
