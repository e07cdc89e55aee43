//! `AT+QSSLCFG` through the pty, with exact bytes (SPEC §1, §3, §9; docs/fidelity.md "AT+QSSLCFG
//! format choices"): all twenty items' factory defaults, writes, read-back, test-form lines,
//! out-of-range values and wrong types (ERROR, then `+QIGETERROR: 552`), `<SSL_ctxID>` 6;
//! the module-wide `cacertex` in its three forms; chained commands; and settings surviving a
//! close and reopen of the pty.

mod support;

use std::time::Duration;

use support::{show, Daemon, Port};

const OK: &str = "\r\nOK\r\n";
const ERROR: &str = "\r\nERROR\r\n";
const E552: &str = "\r\n+QIGETERROR: 552,invalid parameters\r\n\r\nOK\r\n";

fn started() -> (Daemon, Port) {
    let d = Daemon::start(&[]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    (d, p)
}

/// Send `cmd` (without its `<CR>`) and read its whole reply: up to and including the final
/// `OK` or `ERROR`.
fn reply(p: &mut Port, cmd: &str) -> String {
    p.send(format!("{cmd}\r").as_bytes());
    let mut got = Vec::new();
    while !(got.ends_with(b"\r\nOK\r\n") || got.ends_with(b"\r\nERROR\r\n")) {
        got.extend(p.read_until(b"\r\n", Duration::from_secs(5)));
    }
    String::from_utf8(got).unwrap_or_else(|e| panic!("{cmd}: reply is not UTF-8: {}", show(e.as_bytes())))
}

/// Send `cmd` and assert its exact reply.
#[track_caller]
fn check(p: &mut Port, cmd: &str, want: &str) {
    let got = reply(p, cmd);
    assert_eq!(show(got.as_bytes()), show(want.as_bytes()), "reply to {cmd}");
}

/// `cmd` must answer ERROR and leave 552 for `AT+QIGETERROR`.
#[track_caller]
fn check_552(p: &mut Port, cmd: &str) {
    check(p, cmd, ERROR);
    let got = reply(p, "AT+QIGETERROR");
    assert_eq!(show(got.as_bytes()), show(E552.as_bytes()), "AT+QIGETERROR after {cmd}");
}

fn query_reply(item: &str, ctx: u8, value: &str) -> String {
    format!("\r\n+QSSLCFG: \"{item}\",{ctx},{value}\r\n\r\nOK\r\n")
}

/// One row: how an item is written, read and listed, and values it must refuse.
struct Item {
    name: &'static str,
    /// How the query reports the factory default.
    default: String,
    /// A write the module accepts, and how the query then reports it.
    set: String,
    back: String,
    /// The test-form line after `+QSSLCFG: "<name>",(0-5),`.
    test: &'static str,
    /// Values of the right type that are out of range, or the wrong number of values.
    out_of_range: Vec<String>,
    /// Values of the wrong type: quoted where a number belongs, bare where a string does.
    bad_type: Vec<String>,
}

fn s(v: &str) -> String {
    v.to_string()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// A 0/1 item.
fn flag(name: &'static str, default: u8) -> Item {
    let set = 1 - default;
    Item {
        name,
        default: default.to_string(),
        set: set.to_string(),
        back: set.to_string(),
        test: "(0,1)",
        out_of_range: strs(&["2", "10"]),
        bad_type: vec![format!("\"{set}\""), s("0X1"), s("")],
    }
}

/// The twenty items (cacertex, which has no `<SSL_ctxID>`, is only listed here for the test
/// form; `cacertex_is_module_wide_in_all_three_forms` covers the rest).
fn items() -> Vec<Item> {
    let long = format!("\"{}\"", "a".repeat(256));
    let max = format!("\"{}\"", "a".repeat(255));
    vec![
        Item {
            name: "sslversion",
            default: s("4"),
            set: s("3"),
            back: s("3"),
            test: "(0-4)",
            out_of_range: strs(&["5", "-1"]),
            bad_type: strs(&["\"3\"", "0X3", ""]),
        },
        Item {
            name: "seclevel",
            default: s("0"),
            set: s("2"),
            back: s("2"),
            test: "(0-2)",
            out_of_range: strs(&["3"]),
            bad_type: strs(&["\"2\"", ""]),
        },
        Item {
            name: "ciphersuite",
            default: s("0XFFFF"),
            set: s("0xc02f"),
            back: s("0XC02F"),
            test: "<cs_id>",
            out_of_range: strs(&["0X0000", "0X1234", "0X10035", "0X0035,0X002F"]),
            bad_type: strs(&["\"0X0035\"", "53", "C02F", ""]),
        },
        Item {
            name: "negotiatetime",
            default: s("300"),
            set: s("10"),
            back: s("10"),
            test: "(10-300)",
            out_of_range: strs(&["9", "301", "0"]),
            bad_type: strs(&["\"60\"", ""]),
        },
        flag("sni", 0),
        Item {
            name: "cacert",
            default: s("\"\""),
            set: s("\"UFS:ca.pem\""),
            back: s("\"UFS:ca.pem\""),
            test: "<cacertpath>",
            out_of_range: strs(&["\"UFS:ca.pem\",\"UFS:other.pem\""]),
            bad_type: strs(&["1", "UFS:ca.pem"]),
        },
        Item {
            name: "cacertex",
            default: String::new(),
            set: String::new(),
            back: String::new(),
            test: "<cacertexpath>",
            out_of_range: vec![],
            bad_type: vec![],
        },
        Item {
            name: "clientcert",
            default: s("\"\""),
            set: s("\"RAM:client.pem\""),
            back: s("\"RAM:client.pem\""),
            test: "<client_cert_path>",
            out_of_range: strs(&["\"UFS:client.pem\",\"x\""]),
            bad_type: strs(&["2", "client.pem"]),
        },
        Item {
            name: "clientkey",
            default: s("\"\",\"\""),
            set: s("\"UFS:client-enc.key\",\"qsslsim\""),
            back: s("\"UFS:client-enc.key\",\"qsslsim\""),
            test: "<client_key_path>,<key_pwd>",
            out_of_range: strs(&["\"UFS:client.key\",\"pwd\",\"extra\""]),
            bad_type: strs(&["1", "\"UFS:client.key\",7", "UFS:client.key,\"pwd\""]),
        },
        flag("dtls", 0),
        Item {
            name: "dtlsversion",
            default: s("2"),
            set: s("0"),
            back: s("0"),
            test: "(0-2)",
            out_of_range: strs(&["3"]),
            bad_type: strs(&["\"1\"", ""]),
        },
        Item {
            name: "psk",
            default: s("\"\",\"\""),
            set: format!("\"dev-1\",{max}"),
            back: format!("\"dev-1\",{max}"),
            test: "<identity>,<key>",
            out_of_range: vec![format!("{long},\"k\""), format!("\"id\",{long}"), s("\"id\"")],
            bad_type: strs(&["1,2", "\"id\",5", "id,\"key\""]),
        },
        flag("ignoremulticertchainverify", 0),
        flag("ignoreinvalidcertsign", 0),
        Item {
            name: "ignorecertitem",
            default: s("0"),
            set: s("1048575"),
            back: s("1048575"),
            test: "(0-1048575)",
            out_of_range: strs(&["1048576", "4294967296"]),
            bad_type: strs(&["\"1\"", "0X1", ""]),
        },
        flag("ignorelocaltime", 1),
        flag("session_cache", 0),
        flag("closetimemode", 0),
        flag("renegotiation", 0),
        Item {
            name: "alpn",
            default: s("\"\""),
            set: s("\"http/1.1\""),
            back: s("\"http/1.1\""),
            test: "<ALPN_name>",
            out_of_range: vec![long.clone(), s("\"h2\",\"http/1.1\"")],
            bad_type: strs(&["1", "h2"]),
        },
    ]
}

#[test]
fn every_item_default_set_read_back_and_refusals() {
    let (_d, mut p) = started();
    let items = items();
    assert_eq!(items.len(), 20);
    for (i, item) in items.iter().enumerate().filter(|(_, it)| it.name != "cacertex") {
        let name = item.name;
        // Each item on its own context, so the neighbour context shows it is per context.
        let ctx = (i % 6) as u8;
        let other = (ctx + 1) % 6;
        check(&mut p, &format!("AT+QSSLCFG=\"{name}\",{ctx}"), &query_reply(name, ctx, &item.default));
        check(&mut p, &format!("AT+QSSLCFG=\"{name}\",{ctx},{}", item.set), OK);
        check(&mut p, "AT+QIGETERROR", "\r\n+QIGETERROR: 0,operate successfully\r\n\r\nOK\r\n");
        check(&mut p, &format!("AT+QSSLCFG=\"{name}\",{ctx}"), &query_reply(name, ctx, &item.back));
        check(&mut p, &format!("AT+QSSLCFG=\"{name}\",{other}"), &query_reply(name, other, &item.default));
        for bad in item.out_of_range.iter().chain(&item.bad_type) {
            check_552(&mut p, &format!("AT+QSSLCFG=\"{name}\",{ctx},{bad}"));
        }
        // A refused write changes nothing.
        check(&mut p, &format!("AT+QSSLCFG=\"{name}\",{ctx}"), &query_reply(name, ctx, &item.back));
        // Context 6 does not exist, for queries and writes alike; nor does a quoted context.
        check_552(&mut p, &format!("AT+QSSLCFG=\"{name}\",6"));
        check_552(&mut p, &format!("AT+QSSLCFG=\"{name}\",6,{}", item.set));
        check_552(&mut p, &format!("AT+QSSLCFG=\"{name}\",\"{ctx}\",{}", item.set));
        // Setting the default back restores the default reading.
        check(&mut p, &format!("AT+QSSLCFG=\"{name}\",{ctx},{}", item.default), OK);
        check(&mut p, &format!("AT+QSSLCFG=\"{name}\",{ctx}"), &query_reply(name, ctx, &item.default));
    }
}

#[test]
fn ranges_are_inclusive_at_both_ends() {
    let (_d, mut p) = started();
    for (item, lo, hi) in [
        ("sslversion", "0", "4"),
        ("seclevel", "0", "2"),
        ("negotiatetime", "10", "300"),
        ("dtlsversion", "0", "2"),
        ("ignorecertitem", "0", "1048575"),
    ] {
        for v in [lo, hi] {
            check(&mut p, &format!("AT+QSSLCFG=\"{item}\",5,{v}"), OK);
            check(&mut p, &format!("AT+QSSLCFG=\"{item}\",5"), &query_reply(item, 5, v));
        }
    }
    // Every id of the maker's suite table is accepted, in either case of the prefix; the query
    // reports 0X and four upper-case digits.
    for id in [
        "0035", "002F", "0005", "0004", "000A", "003D", "C002", "C003", "C004", "C005", "C007", "C008",
        "C009", "C00A", "C011", "C012", "C013", "C014", "C00C", "C00D", "C00E", "C00F", "C023", "C024",
        "C025", "C026", "C027", "C028", "C029", "C02A", "C02F", "FFFF",
    ] {
        check(&mut p, &format!("AT+QSSLCFG=\"ciphersuite\",4,0x{}", id.to_lowercase()), OK);
        check(&mut p, "AT+QSSLCFG=\"ciphersuite\",4", &query_reply("ciphersuite", 4, &format!("0X{id}")));
    }
    // Short hex is the same id.
    check(&mut p, "AT+QSSLCFG=\"ciphersuite\",4,0X5", OK);
    check(&mut p, "AT+QSSLCFG=\"ciphersuite\",4", &query_reply("ciphersuite", 4, "0X0005"));
    // clientkey without a password clears the earlier password; "" unsets paths.
    check(&mut p, "AT+QSSLCFG=\"clientkey\",3,\"UFS:k.key\",\"pw\"", OK);
    check(&mut p, "AT+QSSLCFG=\"clientkey\",3", &query_reply("clientkey", 3, "\"UFS:k.key\",\"pw\""));
    check(&mut p, "AT+QSSLCFG=\"clientkey\",3,\"RAM:k.key\"", OK);
    check(&mut p, "AT+QSSLCFG=\"clientkey\",3", &query_reply("clientkey", 3, "\"RAM:k.key\",\"\""));
    check(&mut p, "AT+QSSLCFG=\"cacert\",3,\"UFS:ca.pem\"", OK);
    check(&mut p, "AT+QSSLCFG=\"cacert\",3,\"\"", OK);
    check(&mut p, "AT+QSSLCFG=\"cacert\",3", &query_reply("cacert", 3, "\"\""));
    // psk "","" unsets it.
    check(&mut p, "AT+QSSLCFG=\"psk\",3,\"id\",\"key\"", OK);
    check(&mut p, "AT+QSSLCFG=\"psk\",3,\"\",\"\"", OK);
    check(&mut p, "AT+QSSLCFG=\"psk\",3", &query_reply("psk", 3, "\"\",\"\""));
}

#[test]
fn test_form_lists_every_item_in_the_makers_order() {
    let (_d, mut p) = started();
    let got = reply(&mut p, "AT+QSSLCFG=?");
    let mut want = String::from("\r\n");
    for item in items() {
        let line = if item.name == "cacertex" {
            // Module-wide: (0-5) is the <ca_id>, there is no <SSL_ctxID>.
            format!("+QSSLCFG: \"cacertex\",(0-5),{}", item.test)
        } else {
            format!("+QSSLCFG: \"{}\",(0-5),{}", item.name, item.test)
        };
        assert!(got.contains(&format!("{line}\r\n")), "AT+QSSLCFG=? has no line {line:?}: {got:?}");
        want.push_str(&line);
        want.push_str("\r\n");
    }
    want.push_str("\r\nOK\r\n");
    assert_eq!(got, want);
    // The hardware line, verbatim.
    assert!(got.contains("\r\n+QSSLCFG: \"seclevel\",(0-5),(0-2)\r\n"));
}

fn cacertex_list(paths: [&str; 6]) -> String {
    let mut s = String::from("\r\n");
    for (i, path) in paths.iter().enumerate() {
        s.push_str(&format!("+QSSLCFG: \"cacertex\",{i},\"{path}\"\r\n"));
    }
    s.push_str("\r\nOK\r\n");
    s
}

#[test]
fn cacertex_is_module_wide_in_all_three_forms() {
    let (_d, mut p) = started();
    check(&mut p, "AT+QSSLCFG=\"cacertex\"", &cacertex_list([""; 6]));
    for id in 0..6 {
        check(&mut p, &format!("AT+QSSLCFG=\"cacertex\",{id}"), &query_reply("cacertex", id, "\"\""));
    }
    check(&mut p, "AT+QSSLCFG=\"cacertex\",2,\"UFS:ca.pem\"", OK);
    check(&mut p, "AT+QIGETERROR", "\r\n+QIGETERROR: 0,operate successfully\r\n\r\nOK\r\n");
    check(&mut p, "AT+QSSLCFG=\"cacertex\",5,\"RAM:chain.pem\"", OK);
    check(&mut p, "AT+QSSLCFG=\"cacertex\",2", &query_reply("cacertex", 2, "\"UFS:ca.pem\""));
    check(&mut p, "AT+QSSLCFG=\"cacertex\",5", &query_reply("cacertex", 5, "\"RAM:chain.pem\""));
    check(&mut p, "AT+QSSLCFG=\"cacertex\"", &cacertex_list(["", "", "UFS:ca.pem", "", "", "RAM:chain.pem"]));
    for bad in [
        "AT+QSSLCFG=\"cacertex\",6",
        "AT+QSSLCFG=\"cacertex\",6,\"UFS:ca.pem\"",
        "AT+QSSLCFG=\"cacertex\",-1,\"UFS:ca.pem\"",
        "AT+QSSLCFG=\"cacertex\",\"2\"",
        "AT+QSSLCFG=\"cacertex\",\"2\",\"UFS:ca.pem\"",
        "AT+QSSLCFG=\"cacertex\",2,UFS:ca.pem",
        "AT+QSSLCFG=\"cacertex\",2,7",
        "AT+QSSLCFG=\"cacertex\",2,\"UFS:ca.pem\",\"extra\"",
        // The per-context form is not the maker's: 1 is the <ca_id>, "UFS:x" is not a path.
        "AT+QSSLCFG=\"cacertex\",1,2,\"UFS:ca.pem\"",
    ] {
        check_552(&mut p, bad);
    }
    // Nothing changed.
    check(&mut p, "AT+QSSLCFG=\"cacertex\"", &cacertex_list(["", "", "UFS:ca.pem", "", "", "RAM:chain.pem"]));
    // "" unsets a slot.
    check(&mut p, "AT+QSSLCFG=\"cacertex\",2,\"\"", OK);
    check(&mut p, "AT+QSSLCFG=\"cacertex\"", &cacertex_list(["", "", "", "", "", "RAM:chain.pem"]));
    // Case of the item name does not matter; the reply uses the maker's spelling.
    check(&mut p, "AT+QSSLCFG=\"CACERTEX\",5", &query_reply("cacertex", 5, "\"RAM:chain.pem\""));
}

#[test]
fn chained_commands_run_in_order_and_stop_at_the_first_error() {
    let (_d, mut p) = started();
    check(&mut p, "AT+QSSLCFG=\"sni\",1,1;+QSSLCFG=\"alpn\",1,\"h2\"", OK);
    check(&mut p, "AT+QSSLCFG=\"sni\",1", &query_reply("sni", 1, "1"));
    check(&mut p, "AT+QSSLCFG=\"alpn\",1", &query_reply("alpn", 1, "\"h2\""));
    // Three in a row.
    check(
        &mut p,
        "AT+QSSLCFG=\"seclevel\",1,1;+QSSLCFG=\"cacert\",1,\"UFS:ca.pem\";+QSSLCFG=\"sni\",0,1",
        OK,
    );
    check(&mut p, "AT+QSSLCFG=\"seclevel\",1", &query_reply("seclevel", 1, "1"));
    check(&mut p, "AT+QSSLCFG=\"cacert\",1", &query_reply("cacert", 1, "\"UFS:ca.pem\""));
    check(&mut p, "AT+QSSLCFG=\"sni\",0", &query_reply("sni", 0, "1"));
    // The second command is bad: ERROR, the first took effect, the third never ran.
    check(&mut p, "AT+QSSLCFG=\"sni\",2,1;+QSSLCFG=\"alpn\",2,h2;+QSSLCFG=\"seclevel\",2,2", ERROR);
    check(&mut p, "AT+QIGETERROR", E552);
    check(&mut p, "AT+QSSLCFG=\"sni\",2", &query_reply("sni", 2, "1"));
    check(&mut p, "AT+QSSLCFG=\"alpn\",2", &query_reply("alpn", 2, "\"\""));
    check(&mut p, "AT+QSSLCFG=\"seclevel\",2", &query_reply("seclevel", 2, "0"));
    // Lower case for the whole line is accepted.
    check(&mut p, "at+qsslcfg=\"SNI\",3,1;+qsslcfg=\"ALPN\",3,\"H2\"", OK);
    check(&mut p, "AT+QSSLCFG=\"sni\",3", &query_reply("sni", 3, "1"));
    // Strings are kept verbatim.
    check(&mut p, "AT+QSSLCFG=\"alpn\",3", &query_reply("alpn", 3, "\"H2\""));
}

#[test]
fn malformed_commands_are_refused_with_552() {
    let (_d, mut p) = started();
    for bad in [
        "AT+QSSLCFG=\"nosuchitem\",1",
        "AT+QSSLCFG=\"nosuchitem\",1,1",
        "AT+QSSLCFG=sni,1,1",
        "AT+QSSLCFG=\"sni\"",
        "AT+QSSLCFG=\"sni\",,1",
        "AT+QSSLCFG=\"sni\",6,1",
        "AT+QSSLCFG=\"sni\",99",
        "AT+QSSLCFG=\"sni\",-1",
        "AT+QSSLCFG=\"sni\",1,1,1",
        "AT+QSSLCFG=\"sslversion\",1,3,3",
        "AT+QSSLCFG=\"\",1",
    ] {
        check_552(&mut p, bad);
    }
    check(&mut p, "AT+QSSLCFG", ERROR);
    check(&mut p, "AT+QSSLCFG?", ERROR);
    // None of that changed context 1.
    check(&mut p, "AT+QSSLCFG=\"sni\",1", &query_reply("sni", 1, "0"));
    check(&mut p, "AT+QSSLCFG=\"sslversion\",1", &query_reply("sslversion", 1, "4"));
}

#[test]
fn settings_persist_across_pty_reopen() {
    let (d, mut p) = started();
    let writes = [
        ("sslversion", "3"),
        ("seclevel", "2"),
        ("ciphersuite", "0XC02F"),
        ("negotiatetime", "45"),
        ("sni", "1"),
        ("cacert", "\"UFS:ca.pem\""),
        ("clientcert", "\"UFS:client.pem\""),
        ("clientkey", "\"UFS:client-enc.key\",\"qsslsim\""),
        ("ignorecertitem", "12"),
        ("ignorelocaltime", "0"),
        ("session_cache", "1"),
        ("alpn", "\"h2\""),
    ];
    for (item, v) in writes {
        check(&mut p, &format!("AT+QSSLCFG=\"{item}\",3,{v}"), OK);
    }
    check(&mut p, "AT+QSSLCFG=\"cacertex\",4,\"UFS:untrusted-ca.pem\"", OK);
    drop(p);
    std::thread::sleep(Duration::from_millis(100));
    let mut p = d.port();
    // Echo is still off: the module does not know the host closed its end.
    check(&mut p, "AT", OK);
    for (item, v) in writes {
        check(&mut p, &format!("AT+QSSLCFG=\"{item}\",3"), &query_reply(item, 3, v));
    }
    check(&mut p, "AT+QSSLCFG=\"cacertex\",4", &query_reply("cacertex", 4, "\"UFS:untrusted-ca.pem\""));
    // Other contexts kept their defaults.
    check(&mut p, "AT+QSSLCFG=\"seclevel\",2", &query_reply("seclevel", 2, "0"));
    // And a second reopen, this time with traffic left unread in between.
    p.send(b"AT+QSSLCFG=\"sni\",3\r");
    std::thread::sleep(Duration::from_millis(100));
    drop(p);
    let mut p = d.port();
    let _ = p.read_for(Duration::from_millis(100));
    check(&mut p, "AT+QSSLCFG=\"sni\",3", &query_reply("sni", 3, "1"));
}
