//! Every fault of the vocabulary, fired twice — through the control protocol (the exact JSON
//! request path the control socket serves) and through a scenario rule — on tokio's paused
//! clock, asserting the exact bytes the host sees and that an unaffected socket keeps working.

mod support;

use std::time::Duration;

use qsslsim::control::{answer, Answer};
use qsslsim_modem::scenario::Scenario;
use qsslsim_modem::{Modem, ModemConfig};
use support::inproc::{Behaviour, MemoryNet, Sim};
use tokio::time::{sleep, Instant};

const ECHO: u16 = 7000;

/// How a case's fault is fired.
#[derive(Clone, Copy, Debug)]
enum Via {
    Control,
    Scenario,
}

/// Socket 1 (PDP 1) is the one faults name; socket 2 (PDP 2) must stay unaffected.
async fn setup(fault_json: &str, via: Via) -> Sim {
    let net = MemoryNet::new(&[(ECHO, Behaviour::Echo)]);
    let mut modem = Modem::new(ModemConfig::default(), qsslsim::runtime::now(), std::time::SystemTime::now());
    if let Via::Scenario = via {
        let toml =
            format!("[[rule]]\nwhen = {{ command = \"AT+GMR\" }}\nfault = {}\n", json_to_toml(fault_json));
        modem.load_scenario(Scenario::parse(&toml).unwrap(), qsslsim::runtime::now());
    }
    let mut sim = Sim::start_with(modem, net);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1;+QIACT=2\r", "\r\nOK\r\n").await;
    for (id, pdp) in [(1, 1), (2, 2)] {
        sim.transact(&format!("AT+QSSLOPEN={pdp},0,{id},\"127.0.0.1\",{ECHO},0\r"), "\r\nOK\r\n").await;
        sim.expect(format!("\r\n+QSSLOPEN: {id},0\r\n").as_bytes()).await;
    }
    sim
}

/// `{"kind":"x","a":1}` → `{ kind = "x", a = 1 }` (flat objects only).
fn json_to_toml(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let fields: Vec<String> = v.as_object().unwrap().iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{{ {} }}", fields.join(", "))
}

async fn fire(sim: &mut Sim, fault_json: &str, via: Via) {
    match via {
        Via::Control => {
            let line = format!("{{\"verb\":\"fault\",\"fault\":{fault_json}}}");
            match answer(&line, &sim.control).await {
                Answer::Reply(v) => assert_eq!(v, serde_json::json!({ "ok": true }), "{line}"),
                Answer::Stream(_) => panic!("fault answered with a stream"),
            }
        }
        // A restart takes the module down before it can answer the triggering line.
        Via::Scenario if fault_json.contains("module_restart") => sim.send(b"AT+GMR\r").await,
        Via::Scenario => sim.transact("AT+GMR\r", "\r\nEG915QGLR01A01M08\r\n\r\nOK\r\n").await,
    }
}

/// Socket 2 still echoes.
async fn unaffected(sim: &mut Sim) {
    sim.transact("AT+QSSLSEND=2,4\r", "\r\n> ").await;
    sim.send(b"ping").await;
    sim.expect(b"\r\nSEND OK\r\n").await;
    sim.expect(b"\r\n+QSSLURC: \"recv\",2\r\n").await;
    sim.transact("AT+QSSLRECV=2,1500\r", "\r\n+QSSLRECV: 4\r\nping\r\n\r\nOK\r\n").await;
}

async fn send_on_1(sim: &mut Sim, data: &[u8]) {
    sim.transact(&format!("AT+QSSLSEND=1,{}\r", data.len()), "\r\n> ").await;
    sim.send(data).await;
    sim.expect(b"\r\nSEND OK\r\n").await;
}

/// Open socket 3 by name (so DNS faults apply too: an IP literal makes no lookup).
async fn open_3_fails_with(sim: &mut Sim, code: u16) {
    sim.transact(&format!("AT+QSSLOPEN=1,0,3,\"peer.qsslsim.test\",{ECHO},0\r"), "\r\nOK\r\n").await;
    sim.expect(format!("\r\n+QSSLOPEN: 3,{code}\r\n").as_bytes()).await;
}

/// What the host must see after a case's fault fired.
type Check = fn(&mut Sim) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>;

async fn run_case(name: &str, via: Via) {
    eprintln!("case {name} via {via:?}");
    let (fault, check): (&str, Check) = match name {
        "refuse_connect" => (r#"{"kind":"refuse_connect"}"#, |s| Box::pin(open_3_fails_with(s, 566))),
        "dns_failure" => (r#"{"kind":"dns_failure"}"#, |s| Box::pin(open_3_fails_with(s, 565))),
        "dns_busy" => (r#"{"kind":"dns_busy"}"#, |s| Box::pin(open_3_fails_with(s, 564))),
        "handshake_alert" => (r#"{"kind":"handshake_alert"}"#, |s| Box::pin(open_3_fails_with(s, 566))),
        "connect_stall" => (r#"{"kind":"connect_stall"}"#, |s| {
            Box::pin(async move {
                s.transact(&format!("AT+QSSLOPEN=1,0,3,\"127.0.0.1\",{ECHO},0\r"), "\r\nOK\r\n").await;
                let t0 = Instant::now();
                s.expect_within(b"\r\n+QSSLOPEN: 3,566\r\n", Duration::from_secs(200)).await;
                let took = t0.elapsed();
                assert!(took >= Duration::from_secs(150) && took < Duration::from_secs(151), "{took:?}");
            })
        }),
        "handshake_stall" => (r#"{"kind":"handshake_stall"}"#, |s| {
            Box::pin(async move {
                s.transact(&format!("AT+QSSLOPEN=1,0,3,\"127.0.0.1\",{ECHO},0\r"), "\r\nOK\r\n").await;
                let t0 = Instant::now();
                s.expect_within(b"\r\n+QSSLOPEN: 3,569\r\n", Duration::from_secs(400)).await;
                assert!(t0.elapsed() >= Duration::from_secs(300), "stall ended after {:?}", t0.elapsed());
            })
        }),
        "server_close" => (r#"{"kind":"server_close","socket":1}"#, |s| {
            Box::pin(async move {
                s.expect(b"\r\n+QSSLURC: \"closed\",1\r\n").await;
                // Abnormally closed with nothing buffered: ERROR, 567 (note 2.2.4).
                s.transact("AT+QSSLRECV=1,1500\r", "\r\nERROR\r\n").await;
                s.transact("AT+QIGETERROR\r", "\r\n+QIGETERROR: 567,socket has been closed\r\n\r\nOK\r\n")
                    .await;
            })
        }),
        "server_close_after_bytes" => (r#"{"kind":"server_close","socket":1,"after_bytes":3}"#, |s| {
            Box::pin(async move {
                send_on_1(s, b"hello").await;
                s.expect(b"\r\n+QSSLURC: \"recv\",1\r\n").await;
                s.expect(b"\r\n+QSSLURC: \"closed\",1\r\n").await;
                s.transact("AT+QSSLRECV=1,1500\r", "\r\n+QSSLRECV: 3\r\nhel\r\n\r\nOK\r\n").await;
            })
        }),
        "server_close_after_ms" => (r#"{"kind":"server_close","socket":1,"after_ms":500}"#, |s| {
            Box::pin(async move {
                let t0 = Instant::now();
                s.expect(b"\r\n+QSSLURC: \"closed\",1\r\n").await;
                assert!(t0.elapsed() >= Duration::from_millis(500));
            })
        }),
        "connection_reset" => (r#"{"kind":"connection_reset","socket":1}"#, |s| {
            Box::pin(async move {
                s.expect(b"\r\n+QSSLURC: \"closed\",1\r\n").await;
                s.transact("AT+QSSLSEND=1,1\r", "\r\nERROR\r\n").await;
            })
        }),
        "pdp_lost" => (r#"{"kind":"pdp_lost","ctx":1}"#, |s| {
            Box::pin(async move {
                s.expect(b"\r\n+QSSLURC: \"closed\",1\r\n").await;
                s.expect(b"\r\n+QIURC: \"pdpdeact\",1\r\n").await;
                s.transact("AT+QIACT?\r", "\r\n+QIACT: 2,1,1,\"10.7.157.2\"\r\n\r\nOK\r\n").await;
            })
        }),
        "latency" => (r#"{"kind":"latency","socket":1,"ms":300}"#, |s| {
            Box::pin(async move {
                let t0 = Instant::now();
                send_on_1(s, b"hi").await;
                s.expect(b"\r\n+QSSLURC: \"recv\",1\r\n").await;
                assert!(t0.elapsed() >= Duration::from_millis(600), "{:?}", t0.elapsed());
            })
        }),
        "bandwidth" => (r#"{"kind":"bandwidth","socket":1,"bytes_per_sec":1000}"#, |s| {
            Box::pin(async move {
                let t0 = Instant::now();
                send_on_1(s, &[b'b'; 1000]).await;
                s.expect(b"\r\n+QSSLURC: \"recv\",1\r\n").await;
                // 1000 bytes each way at 1000 B/s: the first byte back after about 1 s.
                assert!(t0.elapsed() >= Duration::from_millis(1000), "{:?}", t0.elapsed());
                sleep(Duration::from_secs(3)).await;
                s.send(b"AT+QSSLRECV=1,1500\r").await;
                let mut want = b"\r\n+QSSLRECV: 1000\r\n".to_vec();
                want.extend_from_slice(&[b'b'; 1000]);
                want.extend_from_slice(b"\r\n\r\nOK\r\n");
                s.expect(&want).await;
            })
        }),
        "send_buffer_full" => (r#"{"kind":"send_buffer_full","socket":1}"#, |s| {
            Box::pin(async move {
                s.transact("AT+QSSLSEND=1,2\r", "\r\n> ").await;
                s.send(b"no").await;
                s.expect(b"\r\nSEND FAIL\r\n").await;
                send_on_1(s, b"ok").await;
                s.expect(b"\r\n+QSSLURC: \"recv\",1\r\n").await;
                s.transact("AT+QSSLRECV=1,1500\r", "\r\n+QSSLRECV: 2\r\nok\r\n\r\nOK\r\n").await;
            })
        }),
        "receive_stall" => (r#"{"kind":"receive_stall","socket":1,"ms":2000}"#, |s| {
            Box::pin(async move {
                let t0 = Instant::now();
                send_on_1(s, b"x").await;
                s.expect(b"\r\n+QSSLURC: \"recv\",1\r\n").await;
                assert!(t0.elapsed() >= Duration::from_millis(2000), "{:?}", t0.elapsed());
            })
        }),
        "urc_delay" => (r#"{"kind":"urc_delay","ms":700}"#, |s| {
            Box::pin(async move {
                let t0 = Instant::now();
                send_on_1(s, b"x").await;
                s.expect(b"\r\n+QSSLURC: \"recv\",1\r\n").await;
                assert!(t0.elapsed() >= Duration::from_millis(700), "{:?}", t0.elapsed());
            })
        }),
        "module_restart" => (r#"{"kind":"module_restart"}"#, |s| {
            Box::pin(async move {
                s.expect(b"\r\nRDY\r\n").await;
                // Settings are gone: echo is back on, no context, no socket.
                s.transact("AT+QIACT?\r", "AT+QIACT?\r\r\nOK\r\n").await;
                s.transact("AT+QSSLSTATE\r", "AT+QSSLSTATE\r\r\nOK\r\n").await;
            })
        }),
        "signal" => (r#"{"kind":"signal","rssi":7}"#, |s| {
            Box::pin(async move {
                s.transact("AT+CSQ\r", "\r\n+CSQ: 7,99\r\n\r\nOK\r\n").await;
            })
        }),
        "roam" => (r#"{"kind":"roam"}"#, |s| {
            Box::pin(async move {
                s.transact("AT+CEREG?\r", "\r\n+CEREG: 0,5\r\n\r\nOK\r\n").await;
            })
        }),
        "deregister" => (r#"{"kind":"deregister"}"#, |s| {
            Box::pin(async move {
                s.expect(b"\r\n+QSSLURC: \"closed\",1\r\n").await;
                s.expect(b"\r\n+QIURC: \"pdpdeact\",1\r\n").await;
                s.expect(b"\r\n+QSSLURC: \"closed\",2\r\n").await;
                s.expect(b"\r\n+QIURC: \"pdpdeact\",2\r\n").await;
                s.transact("AT+CEREG?\r", "\r\n+CEREG: 0,0\r\n\r\nOK\r\n").await;
            })
        }),
        "power_off" => (r#"{"kind":"power_off"}"#, |s| {
            Box::pin(async move {
                s.expect(b"\r\nPOWERED DOWN\r\n").await;
            })
        }),
        other => panic!("no case {other}"),
    };
    let mut sim = setup(fault, via).await;
    fire(&mut sim, fault, via).await;
    check(&mut sim).await;
    if !["module_restart", "pdp_lost", "deregister", "power_off"].contains(&name) {
        unaffected(&mut sim).await;
    }
    if name == "pdp_lost" {
        // Socket 2 lives on PDP context 2 and is untouched.
        unaffected(&mut sim).await;
    }
}

const CASES: &[&str] = &[
    "refuse_connect",
    "dns_failure",
    "dns_busy",
    "handshake_stall",
    "connect_stall",
    "handshake_alert",
    "server_close",
    "server_close_after_bytes",
    "server_close_after_ms",
    "connection_reset",
    "pdp_lost",
    "latency",
    "bandwidth",
    "send_buffer_full",
    "receive_stall",
    "urc_delay",
    "module_restart",
    "signal",
    "roam",
    "deregister",
    "power_off",
];

#[tokio::test(start_paused = true)]
async fn every_fault_through_the_control_protocol() {
    for case in CASES {
        run_case(case, Via::Control).await;
    }
}

#[tokio::test(start_paused = true)]
async fn every_fault_through_a_scenario_rule() {
    for case in CASES {
        run_case(case, Via::Scenario).await;
    }
}

#[tokio::test(start_paused = true)]
async fn malformed_control_requests_get_errors_and_the_module_keeps_going() {
    let mut sim = setup(r#"{"kind":"dns_busy"}"#, Via::Control).await;
    for bad in [
        "not json",
        "{}",
        r#"{"verb":"explode"}"#,
        r#"{"verb":"fault"}"#,
        r#"{"verb":"fault","fault":{"kind":"meteor"}}"#,
        r#"{"verb":"fault","fault":{"kind":"pdp_lost"}}"#,
        r#"{"verb":"dtr","level":"sideways"}"#,
        r#"{"verb":"clock","time":"yesterday"}"#,
        r#"{"verb":"state","extra":1}"#,
    ] {
        match answer(bad, &sim.control).await {
            Answer::Reply(v) => {
                assert_eq!(v["ok"], false, "{bad}: {v}");
                assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{bad}: {v}");
            }
            Answer::Stream(_) => panic!("{bad} streamed"),
        }
    }
    sim.transact("AT\r", "\r\nOK\r\n").await;
    unaffected(&mut sim).await;
    // State reflects the sockets.
    let Answer::Reply(v) = answer(r#"{"verb":"state"}"#, &sim.control).await else { panic!() };
    assert_eq!(v["ok"], true);
    let sockets = v["state"]["sockets"].as_array().unwrap();
    assert_eq!(sockets.iter().map(|s| s["id"].as_u64().unwrap()).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(sockets[0]["state"], "connected");
    // The module's notation sets the zone too.
    let Answer::Reply(v) = answer(r#"{"verb":"clock","time":"26/08/07,13:54:02+32"}"#, &sim.control).await
    else {
        panic!()
    };
    assert_eq!(v["ok"], true);
    sim.transact("AT+CCLK?\r", "\r\n+CCLK: \"26/08/07,13:54:02+32\"\r\n\r\nOK\r\n").await;
    // Clock in both notations (RFC 3339 keeps the zone; +00 resets it here).
    let _ = answer(r#"{"verb":"clock","time":"30/01/02,03:04:05+00"}"#, &sim.control).await;
    for t in [
        r#"{"verb":"clock","time":"2030-01-02T03:04:05Z"}"#,
        r#"{"verb":"clock","time":"30/01/02,03:04:05+00"}"#,
    ] {
        let Answer::Reply(v) = answer(t, &sim.control).await else { panic!() };
        assert_eq!(v["ok"], true, "{t}");
        sim.transact("AT+CCLK?\r", "\r\n+CCLK: \"30/01/02,03:04:05+00\"\r\n\r\nOK\r\n").await;
    }
}

#[tokio::test(start_paused = true)]
async fn events_stream_faults_urcs_and_failure_causes() {
    let mut sim = setup(r#"{"kind":"dns_busy"}"#, Via::Control).await;
    let Answer::Stream(mut events) = answer(r#"{"verb":"events"}"#, &sim.control).await else { panic!() };
    fire(&mut sim, r#"{"kind":"refuse_connect"}"#, Via::Control).await;
    open_3_fails_with(&mut sim, 566).await;
    let mut seen = Vec::new();
    while let Ok(r) = events.try_recv() {
        seen.push(serde_json::to_value(&r).unwrap());
    }
    let has = |pred: &dyn Fn(&serde_json::Value) -> bool| seen.iter().any(pred);
    assert!(
        has(&|v| v["type"] == "module" && v["event"] == "fault" && v["fault"] == "refuse_connect"),
        "{seen:#?}"
    );
    assert!(has(&|v| v["type"] == "host_in" && v["text"].as_str().unwrap().contains("AT+QSSLOPEN=1,0,3")));
    assert!(has(&|v| v["event"] == "failure"
        && v["code"] == 566
        && v["cause"].as_str().unwrap().contains("refuse_connect")));
    assert!(has(&|v| v["event"] == "urc" && v["text"] == "+QSSLOPEN: 3,566"));
}

#[tokio::test(start_paused = true)]
async fn link_shaping_without_a_socket_also_shapes_later_connections() {
    let net = MemoryNet::new(&[(ECHO, Behaviour::Echo)]);
    let mut sim = Sim::start(ModemConfig::default(), net);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    let Answer::Reply(v) =
        answer(r#"{"verb":"fault","fault":{"kind":"latency","ms":250}}"#, &sim.control).await
    else {
        panic!()
    };
    assert_eq!(v["ok"], true);
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    sim.transact(&format!("AT+QSSLOPEN=1,0,1,\"127.0.0.1\",{ECHO},0\r"), "\r\nOK\r\n").await;
    sim.expect(b"\r\n+QSSLOPEN: 1,0\r\n").await;
    let t0 = Instant::now();
    send_on_1(&mut sim, b"hi").await;
    sim.expect(b"\r\n+QSSLURC: \"recv\",1\r\n").await;
    assert!(t0.elapsed() >= Duration::from_millis(500), "{:?}", t0.elapsed());
}

/// Issue 13/14: a fault that could never act is refused with the reason, not accepted silently:
/// a socket that does not exist or has no connection, a value out of bounds.
#[tokio::test(start_paused = true)]
async fn faults_that_cannot_act_are_refused_with_the_reason() {
    let net = MemoryNet::new(&[(ECHO, Behaviour::Echo)]);
    let mut sim = Sim::start(ModemConfig::default(), net);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    let cases = [
        (r#"{"kind":"server_close","socket":4}"#, "server_close socket 4 has no connection (state 0)"),
        (r#"{"kind":"connection_reset","socket":12}"#, "connection_reset socket 12 is outside 0-11"),
        (
            r#"{"kind":"send_buffer_full","socket":3}"#,
            "send_buffer_full socket 3 has no connection (state 0)",
        ),
        (
            r#"{"kind":"latency","ms":18446744073709551615}"#,
            "latency ms 18446744073709551615 is above the largest accepted, 60000",
        ),
        (r#"{"kind":"pdp_lost","ctx":16}"#, "pdp_lost ctx 16 is outside 1-15"),
        (
            r#"{"kind":"command_error","command":"AT+CSQ","code":550}"#,
            "command_error command \"AT+CSQ\" is not an SSL/TCP command of this module",
        ),
    ];
    for (fault, why) in cases {
        let request = format!(r#"{{"verb":"fault","fault":{fault}}}"#);
        match answer(&request, &sim.control).await {
            Answer::Reply(v) => {
                assert_eq!(v["ok"], false, "{fault}: {v}");
                assert_eq!(v["error"], why, "{fault}");
            }
            Answer::Stream(_) => panic!("{fault} streamed"),
        }
    }
    // Without a socket the same faults are fine.
    let Answer::Reply(v) =
        answer(r#"{"verb":"fault","fault":{"kind":"latency","ms":10}}"#, &sim.control).await
    else {
        panic!()
    };
    assert_eq!(v["ok"], true, "{v}");
    sim.transact("AT\r", "\r\nOK\r\n").await;
}

#[tokio::test(start_paused = true)]
async fn the_power_verb_switches_the_module_off_and_on() {
    let net = MemoryNet::new(&[(ECHO, Behaviour::Echo)]);
    let mut sim = Sim::start(ModemConfig::default(), net);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    for (line, want) in [
        (r#"{"verb":"power","on":false}"#, "\r\nPOWERED DOWN\r\n"),
        (
            r#"{"verb":"power","on":true}"#,
            "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\nAPP RDY\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n",
        ),
    ] {
        match answer(line, &sim.control).await {
            Answer::Reply(v) => assert_eq!(v, serde_json::json!({ "ok": true }), "{line}"),
            Answer::Stream(_) => panic!("power answered with a stream"),
        }
        if line.contains("false") {
            sim.expect(want.as_bytes()).await;
            // Off: a command is not answered.
            sim.send(b"AT\r").await;
            assert!(sim.read_for(Duration::from_secs(2)).await.is_empty());
        } else {
            sim.expect(want.as_bytes()).await;
        }
    }
    sim.transact("AT\r", "AT\r\r\nOK\r\n").await;
    assert!(matches!(
        answer(r#"{"verb":"power"}"#, &sim.control).await,
        Answer::Reply(v) if v["ok"] == false
    ));
}
