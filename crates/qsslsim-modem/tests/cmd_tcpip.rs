//! The TCP/IP family (`AT+QIOPEN` and the commands around it) driven straight into the module:
//! exact bytes for every form, the network actions each one asks for, and the events that
//! come back — TCP clients in the three access modes, UDP clients and services, listeners and
//! the ids they give incoming connections, the pool the family shares with the SSL clients.

mod bench;

use bench::{described, sends, Bench, CONNECT, ERROR, OK, PROMPT, SEND_OK};
use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::{NetAction, NetEvent, Transport};

const REMOTE_PORT: u16 = 8009;

/// Open `AT+QIOPEN=1,<id>,"TCP","192.0.2.2",8009,0,<mode>` and connect it; returns the serial.
#[track_caller]
fn tcp(b: &mut Bench, id: u8, mode: u8) -> u64 {
    b.pdp_up();
    let want = if mode == 2 { "" } else { OK };
    b.check(&format!("AT+QIOPEN=1,{id},\"TCP\",\"192.0.2.2\",{REMOTE_PORT},0,{mode}"), want);
    let conn = b.open_request(id).conn;
    b.net(NetEvent::Opened { id, conn, remote: "192.0.2.2:8009".parse().unwrap(), local_port: 50_000 });
    b.settle();
    let want = if mode == 2 { CONNECT.to_string() } else { format!("\r\n+QIOPEN: {id},0\r\n") };
    assert_eq!(b.take_text(), want);
    b.take_actions();
    conn
}

/// Open a listener or UDP service on `id` and bind it; returns the serial.
#[track_caller]
fn serve(b: &mut Bench, id: u8, kind: &str, port: u16) -> u64 {
    b.pdp_up();
    b.check(&format!("AT+QIOPEN=1,{id},\"{kind}\",\"127.0.0.1\",0,{port},0"), OK);
    let conn = match b.take_actions().into_iter().find_map(|a| match a {
        NetAction::Listen(r) if r.id == id => Some(r),
        _ => None,
    }) {
        Some(r) => {
            assert_eq!(r.port, port);
            r.conn
        }
        None => panic!("no listen action for {id}"),
    };
    let local = format!("127.0.0.1:{port}").parse().unwrap();
    b.net(NetEvent::Opened { id, conn, remote: local, local_port: port });
    b.settle();
    assert_eq!(b.take_text(), format!("\r\n+QIOPEN: {id},0\r\n"));
    conn
}

#[test]
fn test_forms() {
    let mut b = Bench::new();
    b.check(
        "AT+QIOPEN=?",
        "\r\n+QIOPEN: (1-15),(0-11),\"TCP/UDP/TCP LISTENER/UDP SERVICE\",\"<IP_address>/<domain_name>\",<remote_port>,<local_port>,(0-2)\r\n\r\nOK\r\n",
    );
    b.check("AT+QISEND=?", "\r\n+QISEND: (0-11),(0-1460)\r\n\r\nOK\r\n");
    b.check("AT+QIRD=?", "\r\n+QIRD: (0-11),(0-1500)\r\n\r\nOK\r\n");
    b.check("AT+QICLOSE=?", "\r\n+QICLOSE: (0-11),(0-65535)\r\n\r\nOK\r\n");
    b.check("AT+QISENDEX=?", "\r\n+QISENDEX: (0-11),<hex_string>\r\n\r\nOK\r\n");
    b.check("AT+QISTATE=?", OK);
    b.check("AT+QISDE=?", "\r\n+QISDE: (0,1)\r\n\r\nOK\r\n");
    let cfg = b.at("AT+QICFG=?");
    assert!(
        cfg.starts_with("\r\n+QICFG: \"transpktsize\",(1-1460)\r\n+QICFG: \"transwaittm\",(0-20)\r\n"),
        "{cfg}"
    );
    assert!(cfg.contains("+QICFG: \"recvind\",(0,1)\r\n"), "{cfg}");
    assert!(cfg.ends_with("\r\nOK\r\n"));
}

#[test]
fn a_tcp_client_in_buffer_mode_sends_reads_counts_and_closes() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QIOPEN=1,0,\"TCP\",\"192.0.2.2\",8009,0,0", OK);
    let req = b.open_request(0);
    assert_eq!(
        (req.transport, req.tls.is_none(), req.port, req.host.as_str()),
        (Transport::Tcp, true, 8009, "192.0.2.2")
    );
    let conn = req.conn;
    b.net(NetEvent::Opened { id: 0, conn, remote: "192.0.2.2:8009".parse().unwrap(), local_port: 50_000 });
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIOPEN: 0,0\r\n");
    b.check(
        "AT+QISTATE=1,0",
        "\r\n+QISTATE: 0,\"TCP\",\"192.0.2.2\",8009,50000,2,1,0,0,\"uart1\"\r\n\r\nOK\r\n",
    );

    // Variable length: Ctrl+Z sends.
    assert_eq!(b.at("AT+QISEND=0"), PROMPT);
    b.input(b"test1\x1a");
    assert_eq!(b.take_text(), SEND_OK);
    assert_eq!(sends(&b.take_actions(), 0), vec![b"test1".to_vec()]);
    b.check("AT+QISEND=0,0", "\r\n+QISEND: 5,0,5\r\n\r\nOK\r\n");
    b.net(NetEvent::Sent { id: 0, conn, bytes: 5 });
    b.check("AT+QISEND=0,0", "\r\n+QISEND: 5,5,0\r\n\r\nOK\r\n");

    // Fixed length, then the stray Ctrl+Z some hosts add after it is ignored.
    assert_eq!(b.at("AT+QISEND=0,5"), PROMPT);
    b.input(b"ab\x1acd");
    assert_eq!(b.take_text(), SEND_OK);
    b.input(b"\x1a");
    b.check("AT", OK);
    b.check("AT+QISENDEX=0,\"3132333435\"", SEND_OK);
    assert_eq!(sends(&b.take_actions(), 0), vec![b"ab\x1acd".to_vec(), b"12345".to_vec()]);

    // Data arrives: one "recv" report, read in pieces, then counters.
    b.data(0, conn, b"hello world");
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"recv\",0\r\n");
    b.check("AT+QIRD=0,5", "\r\n+QIRD: 5\r\nhello\r\n\r\nOK\r\n");
    b.check("AT+QIRD=0,0", "\r\n+QIRD: 11,5,6\r\n\r\nOK\r\n");
    b.check("AT+QIRD=0", "\r\n+QIRD: 6\r\n world\r\n\r\nOK\r\n");
    b.check("AT+QIRD=0", "\r\n+QIRD: 0\r\n\r\nOK\r\n");
    b.check("AT+QIRD=0,0", "\r\n+QIRD: 11,11,0\r\n\r\nOK\r\n");

    // Close lingers 10 s by default for the peer's close.
    assert_eq!(b.at("AT+QICLOSE=0"), "");
    assert!(described(&b.take_actions()).contains(&format!("close 0 #{conn} 10s")));
    b.closed(0, conn);
    assert_eq!(b.take_text(), OK);
    b.check("AT+QISTATE=1,0", OK);
    b.check("AT+QIRD=0,0", ERROR);
}

#[test]
fn the_server_closing_is_a_qiurc_closed_and_data_stays_readable() {
    let mut b = Bench::new();
    let conn = tcp(&mut b, 1, 0);
    b.data(1, conn, b"bye");
    b.remote_closed(1, conn);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"recv\",1\r\n\r\n+QIURC: \"closed\",1\r\n");
    b.check(
        "AT+QISTATE=1,1",
        "\r\n+QISTATE: 1,\"TCP\",\"192.0.2.2\",8009,50000,4,1,1,0,\"uart1\"\r\n\r\nOK\r\n",
    );
    b.check("AT+QIRD=1", "\r\n+QIRD: 3\r\nbye\r\n\r\nOK\r\n");
    b.check("AT+QIRD=1", "\r\n+QIRD: 0\r\n\r\nOK\r\n");
    b.check("AT+QISEND=1", ERROR);
    assert_eq!(b.last_error(), 567);
    b.check("AT+QICLOSE=1", OK);
}

#[test]
fn push_mode_frames_carry_the_data_after_a_qiurc_header() {
    let mut b = Bench::new();
    let conn = tcp(&mut b, 2, 1);
    b.data(2, conn, b"abc");
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"recv\",2,3\r\nabc");
}

#[test]
fn transparent_mode_answers_connect_and_fails_with_error() {
    let mut b = Bench::new();
    let conn = tcp(&mut b, 3, 2);
    b.input(b"raw bytes");
    assert_eq!(sends(&b.take_actions(), 3), vec![b"raw bytes".to_vec()]);
    b.data(3, conn, b"back");
    assert_eq!(b.take_text(), "back");

    let mut b = Bench::new();
    b.pdp_up();
    assert_eq!(b.at("AT+QIOPEN=1,0,\"TCP\",\"192.0.2.2\",8009,0,2"), "");
    let conn = b.open_request(0).conn;
    b.open_failed(0, conn, OpenFailure::ConnectFailed);
    assert_eq!(b.take_text(), ERROR);
    assert_eq!(b.last_error(), 566);
}

#[test]
fn open_failures_and_refusals_report_their_codes() {
    let mut b = Bench::new();
    // No active context: OK, then the code in the URC.
    b.check("AT+QIOPEN=1,0,\"TCP\",\"192.0.2.2\",8009,0,0", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIOPEN: 0,561\r\n");
    b.pdp_up();
    b.check("AT+QIOPEN=1,0,\"TCP\",\"example.invalid\",8009,0,0", OK);
    let conn = b.open_request(0).conn;
    b.open_failed(0, conn, OpenFailure::DnsFailed);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIOPEN: 0,565\r\n");
    for bad in [
        "AT+QIOPEN=1,0,\"TCPX\",\"192.0.2.2\",8009",
        "AT+QIOPEN=1,12,\"TCP\",\"192.0.2.2\",8009",
        "AT+QIOPEN=1,0,\"TCP\",\"192.0.2.2\",0",
        "AT+QIOPEN=1,0,\"TCP LISTENER\",\"127.0.0.1\",0,0,0",
        "AT+QIOPEN=1,0,\"UDP SERVICE\",\"127.0.0.1\",0,3030,2",
        "AT+QIOPEN=1,0,\"TCP\",\"192.0.2.2\",8009,0,3",
    ] {
        b.check_code(bad, 552);
    }
}

#[test]
fn ssl_and_tcp_share_one_pool_of_ids_but_not_their_commands() {
    let mut b = Bench::new();
    let _ = tcp(&mut b, 4, 0);
    b.check("AT+QSSLOPEN=1,0,4,\"192.0.2.2\",443,0", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLOPEN: 4,563\r\n");
    b.check_code("AT+QSSLSEND=4", 572);
    b.check_code("AT+QSSLCLOSE=4", 572);
    b.check("AT+QSSLSTATE=4", OK);
    let _ = b.connect(5, 0);
    b.check_code("AT+QISEND=5", 572);
    b.check_code("AT+QIRD=5", 572);
    b.check("AT+QIOPEN=1,5,\"TCP\",\"192.0.2.2\",8009,0,0", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIOPEN: 5,563\r\n");
    // Each state command lists its own family.
    let all = b.at("AT+QISTATE?");
    assert!(all.contains("+QISTATE: 4,\"TCP\"") && !all.contains("+QISTATE: 5"), "{all}");
}

#[test]
fn a_listener_gives_incoming_connections_the_highest_free_id() {
    let mut b = Bench::new();
    let conn = serve(&mut b, 0, "TCP LISTENER", 2020);
    b.check(
        "AT+QISTATE=1,0",
        "\r\n+QISTATE: 0,\"TCP LISTENER\",\"10.7.157.1\",0,2020,3,1,0,0,\"uart1\"\r\n\r\nOK\r\n",
    );
    let remote = "127.0.0.1:62060".parse().unwrap();
    b.net(NetEvent::Incoming { id: 0, conn, ticket: 1, remote });
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"incoming\",11,0,\"127.0.0.1\",62060\r\n");
    let accepted = b.take_actions_but_grants();
    let NetAction::Accept { ticket: 1, id: 11, conn: c11, .. } = accepted[0] else { panic!("{accepted:?}") };
    b.check(
        "AT+QISTATE=1,11",
        "\r\n+QISTATE: 11,\"TCP INCOMING\",\"127.0.0.1\",62060,2020,2,1,0,0,\"uart1\"\r\n\r\nOK\r\n",
    );
    b.data(11, c11, b"hi");
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"recv\",11\r\n");
    b.check("AT+QIRD=11", "\r\n+QIRD: 2\r\nhi\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+QISEND=11,2"), PROMPT);
    b.input(b"yo");
    assert_eq!(b.take_text(), SEND_OK);
    assert_eq!(sends(&b.take_actions(), 11), vec![b"yo".to_vec()]);
    // The listener carries no data.
    b.check_code("AT+QISEND=0,1", 572);

    // Fill every other id; the next connection finds none free.
    for (ticket, _) in (2..).zip(1..11) {
        b.net(NetEvent::Incoming { id: 0, conn, ticket, remote });
    }
    b.settle();
    b.take_text();
    b.take_actions();
    b.net(NetEvent::Incoming { id: 0, conn, ticket: 99, remote });
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"incoming full\"\r\n");
    assert_eq!(described(&b.take_actions_but_grants()), ["reject ticket 99"]);

    // Closing the listener is at once; a late connection for it is refused.
    b.check("AT+QICLOSE=0", OK);
    b.net(NetEvent::Incoming { id: 0, conn, ticket: 100, remote });
    assert!(described(&b.take_actions()).contains(&"reject ticket 100".to_string()));
}

#[test]
fn a_udp_service_reads_datagrams_with_their_sender_and_sends_to_an_address() {
    let mut b = Bench::new();
    let conn = serve(&mut b, 0, "UDP SERVICE", 3030);
    b.check(
        "AT+QISTATE=1,0",
        "\r\n+QISTATE: 0,\"UDP SERVICE\",\"127.0.0.1\",0,3030,2,1,0,0,\"uart1\"\r\n\r\nOK\r\n",
    );
    let from = "127.0.0.1:7000".parse().unwrap();
    b.net(NetEvent::Datagram { id: 0, conn, from, data: b"one".to_vec() });
    b.net(NetEvent::Datagram {
        id: 0,
        conn,
        from: "127.0.0.1:7001".parse().unwrap(),
        data: b"second".to_vec(),
    });
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"recv\",0\r\n");
    b.check("AT+QIRD=0", "\r\n+QIRD: 3,\"127.0.0.1\",7000\r\none\r\n\r\nOK\r\n");
    b.check("AT+QIRD=0,3", "\r\n+QIRD: 3,\"127.0.0.1\",7001\r\nsec\r\n\r\nOK\r\n");
    b.check("AT+QIRD=0", "\r\n+QIRD: 3,\"127.0.0.1\",7001\r\nond\r\n\r\nOK\r\n");
    b.check("AT+QIRD=0", "\r\n+QIRD: 0\r\n\r\nOK\r\n");

    b.check_code("AT+QISEND=0", 552);
    assert_eq!(b.at("AT+QISEND=0,4,\"127.0.0.1\",7000"), PROMPT);
    b.input(b"ping");
    assert_eq!(b.take_text(), SEND_OK);
    assert_eq!(
        described(&b.take_actions_but_grants()),
        [format!("send 0 #{conn} to 127.0.0.1:7000 \"ping\"")]
    );
    b.check_code("AT+QISENDEX=0,\"31\"", 572);
}

#[test]
fn udp_service_push_frames_name_the_sender() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QIOPEN=1,0,\"UDP SERVICE\",\"127.0.0.1\",0,3030,1", OK);
    let conn = match &b.take_actions()[..] {
        [NetAction::Listen(r), ..] => r.conn,
        other => panic!("{other:?}"),
    };
    b.net(NetEvent::Opened { id: 0, conn, remote: "127.0.0.1:3030".parse().unwrap(), local_port: 3030 });
    b.settle();
    b.take_text();
    let from = "127.0.0.1:7000".parse().unwrap();
    b.net(NetEvent::Datagram { id: 0, conn, from, data: b"ab".to_vec() });
    b.net(NetEvent::Datagram { id: 0, conn, from, data: b"cd".to_vec() });
    b.settle();
    assert_eq!(
        b.take_text(),
        "\r\n+QIURC: \"recv\",0,2,\"127.0.0.1\",7000\r\nab\r\n+QIURC: \"recv\",0,2,\"127.0.0.1\",7000\r\ncd"
    );
}

#[test]
fn a_udp_client_opens_over_udp_and_reads_one_datagram_at_a_time() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QIOPEN=1,1,\"UDP\",\"192.0.2.2\",7,0,0", OK);
    let req = b.open_request(1);
    assert_eq!(req.transport, Transport::Udp);
    b.net(NetEvent::Opened {
        id: 1,
        conn: req.conn,
        remote: "192.0.2.2:7".parse().unwrap(),
        local_port: 40000,
    });
    b.data(1, req.conn, b"first");
    b.data(1, req.conn, b"next");
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIOPEN: 1,0\r\n\r\n+QIURC: \"recv\",1\r\n");
    b.check("AT+QIRD=1", "\r\n+QIRD: 5\r\nfirst\r\n\r\nOK\r\n");
    b.check("AT+QIRD=1", "\r\n+QIRD: 4\r\nnext\r\n\r\nOK\r\n");
    // A UDP socket closes at once: nothing to linger for.
    b.check("AT+QICLOSE=1", OK);
}

#[test]
fn qicfg_items_read_back_and_change_what_the_host_sees() {
    let mut b = Bench::new();
    b.check("AT+QICFG=\"recvind\"", "\r\n+QICFG: \"recvind\",0\r\n\r\nOK\r\n");
    b.check("AT+QICFG=\"tcp/keepalive\",1,60", OK);
    b.check("AT+QICFG=\"tcp/keepalive\"", "\r\n+QICFG: \"tcp/keepalive\",1,60,25,3\r\n\r\nOK\r\n");
    b.check_code("AT+QICFG=\"recvind\",2", 552);
    b.check_code("AT+QICFG=\"nosuchitem\",1", 552);
    b.check("AT+QICFG=\"recvind\",1", OK);
    b.check("AT+QICFG=\"viewmode\",1", OK);
    let conn = tcp(&mut b, 0, 0);
    b.data(0, conn, b"xyz");
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"recv\",0,3\r\n");
    b.check("AT+QIRD=0", "\r\n+QIRD: 3,xyz\r\n\r\nOK\r\n");
    b.check("AT+QICFG=\"dataformat\",1,1", OK);
    b.data(0, conn, b"\x00\xff");
    b.check("AT+QIRD=0", "\r\n+QIRD: 2,00FF\r\n\r\nOK\r\n");
    assert_eq!(b.at("AT+QISEND=0"), PROMPT);
    b.input(b"4142\x1a");
    assert_eq!(b.take_text(), SEND_OK);
    assert_eq!(sends(&b.take_actions(), 0), vec![b"AB".to_vec()]);
}

#[test]
fn qisde_turns_the_prompt_echo_off() {
    let mut b = Bench::new();
    let _ = tcp(&mut b, 0, 0);
    b.check("ATE1", OK);
    assert_eq!(b.at("AT+QISEND=0,2"), "AT+QISEND=0,2\r\r\n> ");
    b.input(b"ab");
    assert_eq!(b.take_text(), format!("ab{SEND_OK}"));
    b.check("AT+QISDE?", "AT+QISDE?\r\r\n+QISDE: 1\r\n\r\nOK\r\n");
    b.check("AT+QISDE=0", "AT+QISDE=0\r\r\nOK\r\n");
    assert_eq!(b.at("AT+QISEND=0,3"), "AT+QISEND=0,3\r\r\n> ");
    b.input(b"abc");
    assert_eq!(b.take_text(), SEND_OK);
}

#[test]
fn losing_the_context_closes_tcp_sockets_and_listeners() {
    let mut b = Bench::new();
    let _ = tcp(&mut b, 0, 0);
    let _ = serve(&mut b, 1, "TCP LISTENER", 2020);
    b.check("AT+QIDEACT=1", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"closed\",0\r\n");
    b.check(
        "AT+QISTATE?",
        "\r\n+QISTATE: 0,\"TCP\",\"192.0.2.2\",8009,50000,4,1,0,0,\"uart1\"\r\n\r\nOK\r\n",
    );
}

#[test]
fn open_faults_ride_on_tcp_opens_but_handshake_faults_wait_for_an_ssl_open() {
    use qsslsim_modem::{Fault, OpenFault};
    let mut b = Bench::new();
    b.pdp_up();
    b.inject(Fault::HandshakeStall);
    b.inject(Fault::RefuseConnect);
    b.check("AT+QIOPEN=1,0,\"TCP\",\"192.0.2.2\",8009,0,0", OK);
    assert_eq!(b.open_request(0).fault, Some(OpenFault::RefuseConnect));
    b.check("AT+QIOPEN=1,1,\"TCP\",\"192.0.2.2\",8009,0,0", OK);
    assert_eq!(b.open_request(1).fault, None);
    b.check("AT+QSSLOPEN=1,0,2,\"192.0.2.2\",443,0", OK);
    assert_eq!(b.open_request(2).fault, Some(OpenFault::HandshakeStall));
}

#[test]
fn datagram_faults_reach_only_udp_sockets() {
    use qsslsim_modem::{Fault, LinkFault};
    let mut b = Bench::new();
    let tcp_conn = tcp(&mut b, 0, 0);
    b.check("AT+QIOPEN=1,1,\"UDP\",\"192.0.2.2\",7,0,0", OK);
    let udp_conn = b.open_request(1).conn;
    b.net(NetEvent::Opened { id: 1, conn: udp_conn, remote: "192.0.2.2:7".parse().unwrap(), local_port: 1 });
    b.take_actions();
    let loss = Fault::DatagramLoss { socket: Some(0), count: None };
    assert_eq!(b.m.check_fault(&loss).unwrap_err(), "datagram_loss socket 0 is a TCP socket, not UDP");
    b.inject(Fault::DatagramReorder { socket: None });
    let faults: Vec<(u8, u64, LinkFault)> = b
        .take_actions()
        .into_iter()
        .filter_map(|a| match a {
            NetAction::Fault { id, conn, fault } => Some((id, conn, fault)),
            _ => None,
        })
        .collect();
    assert_eq!(faults, vec![(1, udp_conn, LinkFault::DatagramReorder)]);
    let _ = tcp_conn;
}
