//! Every `AT+QSSLCFG` item at the settings level: factory defaults as the query form reports
//! them, writes and read-back, out-of-range values, wrong types and counts, item-name case,
//! the query/write distinction and the exact test-form lines.

mod common;

use common::{b, q};
use qsslsim_at::Param;
use qsslsim_tls::{is_query, test_lines, CfgError, Psk, SslSettings};

fn query(s: &SslSettings, item: &str) -> Vec<String> {
    s.query(item, 1, &[]).unwrap()
}

fn one(s: &SslSettings, item: &str) -> String {
    let lines = query(s, item);
    assert_eq!(lines.len(), 1, "{item}: {lines:?}");
    lines[0].clone()
}

#[test]
fn factory_defaults_as_queried() {
    let s = SslSettings::default();
    let expected = [
        ("sslversion", "+QSSLCFG: \"sslversion\",1,4"),
        ("seclevel", "+QSSLCFG: \"seclevel\",1,0"),
        ("ciphersuite", "+QSSLCFG: \"ciphersuite\",1,0XFFFF"),
        ("negotiatetime", "+QSSLCFG: \"negotiatetime\",1,300"),
        ("sni", "+QSSLCFG: \"sni\",1,0"),
        ("cacert", "+QSSLCFG: \"cacert\",1,\"\""),
        ("clientcert", "+QSSLCFG: \"clientcert\",1,\"\""),
        ("clientkey", "+QSSLCFG: \"clientkey\",1,\"\",\"\""),
        ("dtls", "+QSSLCFG: \"dtls\",1,0"),
        ("dtlsversion", "+QSSLCFG: \"dtlsversion\",1,2"),
        ("psk", "+QSSLCFG: \"psk\",1,\"\",\"\""),
        ("ignoremulticertchainverify", "+QSSLCFG: \"ignoremulticertchainverify\",1,0"),
        ("ignoreinvalidcertsign", "+QSSLCFG: \"ignoreinvalidcertsign\",1,0"),
        ("ignorecertitem", "+QSSLCFG: \"ignorecertitem\",1,0"),
        ("ignorelocaltime", "+QSSLCFG: \"ignorelocaltime\",1,1"),
        ("session_cache", "+QSSLCFG: \"session_cache\",1,0"),
        ("closetimemode", "+QSSLCFG: \"closetimemode\",1,0"),
        ("renegotiation", "+QSSLCFG: \"renegotiation\",1,0"),
        ("alpn", "+QSSLCFG: \"alpn\",1,\"\""),
    ];
    for (item, line) in expected {
        assert_eq!(one(&s, item), line);
    }
    assert_eq!(
        query(&s, "cacertex"),
        (0..6).map(|i| format!("+QSSLCFG: \"cacertex\",{i},\"\"")).collect::<Vec<_>>()
    );
    // The struct agrees with what is reported.
    assert_eq!(s.sslversion, 4);
    assert_eq!(s.ciphersuite, 0xFFFF);
    assert_eq!(s.negotiatetime, 300);
    assert!(s.ignorelocaltime);
    assert_eq!(s.dtlsversion, 2);
    assert_eq!(s.cacertex, [None, None, None, None, None, None]);
    assert_eq!(s.psk, None);
    assert_eq!(s.alpn, "");
    // The context id is echoed as given.
    assert_eq!(s.query("seclevel", 5, &[]).unwrap(), vec!["+QSSLCFG: \"seclevel\",5,0".to_string()]);
}

/// (item, accepted values with the value they read back as)
type IntCase = (&'static str, &'static [(&'static str, &'static str)]);

#[test]
fn integer_items_accept_their_range_and_reject_the_rest() {
    let quoted_one = [q("1")];
    let cases: [IntCase; 13] = [
        ("sslversion", &[("0", "0"), ("3", "3"), ("4", "4")]),
        ("seclevel", &[("0", "0"), ("1", "1"), ("2", "2")]),
        ("negotiatetime", &[("10", "10"), ("300", "300"), ("0100", "100")]),
        ("sni", &[("1", "1"), ("0", "0")]),
        ("dtls", &[("1", "1"), ("0", "0")]),
        ("dtlsversion", &[("0", "0"), ("1", "1"), ("2", "2")]),
        ("ignoremulticertchainverify", &[("1", "1"), ("0", "0")]),
        ("ignoreinvalidcertsign", &[("1", "1"), ("0", "0")]),
        ("ignorecertitem", &[("1", "1"), ("12", "12"), ("1048575", "1048575"), ("0", "0")]),
        ("ignorelocaltime", &[("0", "0"), ("1", "1")]),
        ("session_cache", &[("1", "1"), ("0", "0")]),
        ("closetimemode", &[("1", "1"), ("0", "0")]),
        ("renegotiation", &[("1", "1"), ("0", "0")]),
    ];
    let out_of_range = [
        ("sslversion", "5"),
        ("seclevel", "3"),
        ("negotiatetime", "9"),
        ("negotiatetime", "301"),
        ("sni", "2"),
        ("dtls", "2"),
        ("dtlsversion", "3"),
        ("ignoremulticertchainverify", "2"),
        ("ignoreinvalidcertsign", "2"),
        ("ignorecertitem", "1048576"),
        ("ignorelocaltime", "2"),
        ("session_cache", "2"),
        ("closetimemode", "2"),
        ("renegotiation", "2"),
    ];
    for (item, accepted) in cases {
        let mut s = SslSettings::default();
        for (value, reads) in accepted {
            assert_eq!(s.set(item, &[b(value)]), Ok(()), "{item}={value}");
            assert_eq!(one(&s, item), format!("+QSSLCFG: \"{item}\",1,{reads}"));
        }
        // Wrong type, sign, hex, empty, omitted, wrong count: all refused, nothing changes.
        let before = s.clone();
        for bad in [
            &quoted_one[..],
            &[b("-1")],
            &[b("+1")],
            &[b("0x1")],
            &[b("")],
            &[b("1a")],
            &[b("99999999999")],
            &[Param::Omitted],
            &[],
            &[b("1"), b("1")],
        ] {
            assert_eq!(s.set(item, bad), Err(CfgError::BadValue), "{item} {bad:?}");
        }
        assert_eq!(s, before);
    }
    for (item, value) in out_of_range {
        assert_eq!(SslSettings::default().set(item, &[b(value)]), Err(CfgError::BadValue), "{item}={value}");
    }
}

#[test]
fn integer_items_land_in_the_struct() {
    let mut s = SslSettings::default();
    for (item, value) in [
        ("sslversion", "1"),
        ("seclevel", "2"),
        ("negotiatetime", "45"),
        ("sni", "1"),
        ("dtls", "1"),
        ("dtlsversion", "1"),
        ("ignoremulticertchainverify", "1"),
        ("ignoreinvalidcertsign", "1"),
        ("ignorecertitem", "4104"),
        ("ignorelocaltime", "0"),
        ("session_cache", "1"),
        ("closetimemode", "1"),
        ("renegotiation", "1"),
    ] {
        s.set(item, &[b(value)]).unwrap();
    }
    assert_eq!(
        (s.sslversion, s.seclevel, s.negotiatetime, s.sni, s.dtls, s.dtlsversion),
        (1, 2, 45, true, true, 1)
    );
    assert_eq!(
        (s.ignoremulticertchainverify, s.ignoreinvalidcertsign, s.ignorecertitem, s.ignorelocaltime),
        (true, true, 4104, false)
    );
    assert_eq!((s.session_cache, s.closetimemode, s.renegotiation), (true, true, true));
}

#[test]
fn ciphersuite_takes_hex_ids_from_the_table() {
    let mut s = SslSettings::default();
    for (value, reads, stored) in [
        ("0X0035", "0X0035", 0x0035),
        ("0x002f", "0X002F", 0x002F),
        ("0xC02F", "0XC02F", 0xC02F),
        ("0Xc00a", "0XC00A", 0xC00A),
        ("0x35", "0X0035", 0x0035),
        ("0XFFFF", "0XFFFF", 0xFFFF),
    ] {
        assert_eq!(s.set("ciphersuite", &[b(value)]), Ok(()), "{value}");
        assert_eq!(one(&s, "ciphersuite"), format!("+QSSLCFG: \"ciphersuite\",1,{reads}"));
        assert_eq!(s.ciphersuite, stored);
    }
    for bad in [
        vec![b("0X1301")],
        vec![b("0X0000")],
        vec![b("53")],
        vec![b("0035")],
        vec![q("0X0035")],
        vec![b("0X")],
        vec![b("0X00035")],
        vec![b("0XGGGG")],
        vec![b("0X0035"), b("0X002F")],
        vec![],
    ] {
        assert_eq!(s.set("ciphersuite", &bad), Err(CfgError::BadValue), "{bad:?}");
    }
    assert_eq!(s.ciphersuite, 0xFFFF);
}

#[test]
fn path_items_take_quoted_strings() {
    let mut s = SslSettings::default();
    s.set("cacert", &[q("RAM:cacert.pem")]).unwrap();
    s.set("clientcert", &[q("client.pem")]).unwrap();
    assert_eq!(one(&s, "cacert"), "+QSSLCFG: \"cacert\",1,\"RAM:cacert.pem\"");
    assert_eq!(one(&s, "clientcert"), "+QSSLCFG: \"clientcert\",1,\"client.pem\"");
    assert_eq!(s.cacert.as_deref(), Some("RAM:cacert.pem"));
    for item in ["cacert", "clientcert"] {
        for bad in [vec![b("cacert.pem")], vec![b("1")], vec![], vec![q("a"), q("b")], vec![Param::Omitted]] {
            assert_eq!(s.set(item, &bad), Err(CfgError::BadValue), "{item} {bad:?}");
        }
    }
    // "" unsets.
    s.set("cacert", &[q("")]).unwrap();
    assert_eq!(s.cacert, None);
    assert_eq!(one(&s, "cacert"), "+QSSLCFG: \"cacert\",1,\"\"");
}

#[test]
fn clientkey_takes_a_path_and_an_optional_password() {
    let mut s = SslSettings::default();
    s.set("clientkey", &[q("UFS:client-enc.key"), q("qsslsim")]).unwrap();
    assert_eq!(one(&s, "clientkey"), "+QSSLCFG: \"clientkey\",1,\"UFS:client-enc.key\",\"qsslsim\"");
    assert_eq!(
        (s.clientkey.as_deref(), s.clientkey_pwd.as_deref()),
        (Some("UFS:client-enc.key"), Some("qsslsim"))
    );
    // A new write without password drops the old password.
    s.set("clientkey", &[q("UFS:client.key")]).unwrap();
    assert_eq!(one(&s, "clientkey"), "+QSSLCFG: \"clientkey\",1,\"UFS:client.key\",\"\"");
    assert_eq!(s.clientkey_pwd, None);
    for bad in [
        vec![b("client.key")],
        vec![q("k"), b("1234")],
        vec![q("k"), Param::Omitted],
        vec![q("k"), q("p"), q("x")],
        vec![],
    ] {
        assert_eq!(s.set("clientkey", &bad), Err(CfgError::BadValue), "{bad:?}");
    }
    assert_eq!(s.clientkey.as_deref(), Some("UFS:client.key"));
}

#[test]
fn cacertex_has_six_slots() {
    let mut s = SslSettings::default();
    s.set("cacertex", &[b("0"), q("UFS:root.pem")]).unwrap();
    s.set("cacertex", &[b("5"), q("RAM:sub.pem")]).unwrap();
    assert_eq!(
        query(&s, "cacertex"),
        vec![
            "+QSSLCFG: \"cacertex\",0,\"UFS:root.pem\"",
            "+QSSLCFG: \"cacertex\",1,\"\"",
            "+QSSLCFG: \"cacertex\",2,\"\"",
            "+QSSLCFG: \"cacertex\",3,\"\"",
            "+QSSLCFG: \"cacertex\",4,\"\"",
            "+QSSLCFG: \"cacertex\",5,\"RAM:sub.pem\"",
        ]
    );
    assert_eq!(s.query("cacertex", 1, &[b("5")]).unwrap(), vec!["+QSSLCFG: \"cacertex\",5,\"RAM:sub.pem\""]);
    assert_eq!(s.query("cacertex", 2, &[b("3")]).unwrap(), vec!["+QSSLCFG: \"cacertex\",3,\"\""]);
    for bad in [vec![b("6")], vec![q("1")], vec![b("1"), b("2")]] {
        assert_eq!(s.query("cacertex", 1, &bad), Err(CfgError::BadValue), "{bad:?}");
    }
    for bad in [
        vec![b("6"), q("x.pem")],
        vec![q("1"), q("x.pem")],
        vec![b("1"), b("x.pem")],
        vec![b("1"), q("x.pem"), q("y")],
        vec![q("x.pem")],
    ] {
        assert_eq!(s.set("cacertex", &bad), Err(CfgError::BadValue), "{bad:?}");
    }
    assert_eq!(s.ca_paths(), vec!["UFS:root.pem", "RAM:sub.pem"]);
    s.set("cacert", &[q("UFS:ca.pem")]).unwrap();
    assert_eq!(s.ca_paths(), vec!["UFS:ca.pem", "UFS:root.pem", "RAM:sub.pem"]);
    s.set("cacertex", &[b("0"), q("")]).unwrap();
    assert_eq!(s.cacertex[0], None);
}

#[test]
fn psk_takes_identity_and_key_up_to_255_characters() {
    let mut s = SslSettings::default();
    s.set("psk", &[q("device-7"), q("00112233")]).unwrap();
    assert_eq!(one(&s, "psk"), "+QSSLCFG: \"psk\",1,\"device-7\",\"00112233\"");
    assert_eq!(s.psk, Some(Psk { identity: "device-7".into(), key: "00112233".into() }));
    let max = "k".repeat(255);
    assert_eq!(s.set("psk", &[q(&max), q(&max)]), Ok(()));
    let long = "k".repeat(256);
    assert_eq!(s.set("psk", &[q(&long), q("k")]), Err(CfgError::BadValue));
    assert_eq!(s.set("psk", &[q("k"), q(&long)]), Err(CfgError::BadValue));
    for bad in [vec![q("id")], vec![q("id"), b("12")], vec![b("id"), q("k")], vec![q("a"), q("b"), q("c")]] {
        assert_eq!(s.set("psk", &bad), Err(CfgError::BadValue), "{bad:?}");
    }
    // Both empty clears it.
    s.set("psk", &[q(""), q("")]).unwrap();
    assert_eq!(s.psk, None);
    assert_eq!(one(&s, "psk"), "+QSSLCFG: \"psk\",1,\"\",\"\"");
}

#[test]
fn alpn_takes_one_quoted_name() {
    let mut s = SslSettings::default();
    s.set("alpn", &[q("h2")]).unwrap();
    assert_eq!(one(&s, "alpn"), "+QSSLCFG: \"alpn\",1,\"h2\"");
    assert_eq!(s.set("alpn", &[q(&"a".repeat(255))]), Ok(()));
    assert_eq!(s.set("alpn", &[q(&"a".repeat(256))]), Err(CfgError::BadValue));
    for bad in [vec![b("h2")], vec![q("h2"), q("http/1.1")], vec![]] {
        assert_eq!(s.set("alpn", &bad), Err(CfgError::BadValue), "{bad:?}");
    }
    s.set("alpn", &[q("")]).unwrap();
    assert_eq!(s.alpn, "");
    assert_eq!(one(&s, "alpn"), "+QSSLCFG: \"alpn\",1,\"\"");
}

#[test]
fn item_names_are_case_insensitive_and_unknown_items_are_refused() {
    let mut s = SslSettings::default();
    assert_eq!(s.set("SSLVersion", &[b("3")]), Ok(()));
    assert_eq!(s.set("SESSION_CACHE", &[b("1")]), Ok(()));
    assert_eq!(s.query("SslVersion", 0, &[]).unwrap(), vec!["+QSSLCFG: \"sslversion\",0,3"]);
    assert_eq!(s.set("tlsversion", &[b("3")]), Err(CfgError::UnknownItem));
    assert_eq!(s.set("", &[b("3")]), Err(CfgError::UnknownItem));
    assert_eq!(s.query("sessioncache", 1, &[]), Err(CfgError::UnknownItem));
    // A query with values is refused (except cacertex's <ca_id>).
    assert_eq!(s.query("seclevel", 1, &[b("1")]), Err(CfgError::BadValue));
}

#[test]
fn query_or_write() {
    assert!(is_query("seclevel", &[]));
    assert!(!is_query("seclevel", &[b("1")]));
    assert!(is_query("clientkey", &[]));
    assert!(!is_query("clientkey", &[q("k")]));
    assert!(is_query("cacertex", &[]));
    assert!(is_query("cacertex", &[b("2")]));
    assert!(!is_query("cacertex", &[b("2"), q("x.pem")]));
    assert!(is_query("CACERTEX", &[b("2")]));
    assert!(is_query("nosuchitem", &[]));
    assert!(SslSettings::is_query("psk", &[]));
}

#[test]
fn test_form_lines() {
    let expected = [
        "+QSSLCFG: \"sslversion\",(0-5),(0-4)",
        "+QSSLCFG: \"seclevel\",(0-5),(0-2)",
        "+QSSLCFG: \"ciphersuite\",(0-5),<cs_id>",
        "+QSSLCFG: \"negotiatetime\",(0-5),(10-300)",
        "+QSSLCFG: \"sni\",(0-5),(0,1)",
        "+QSSLCFG: \"cacert\",(0-5),<cacertpath>",
        "+QSSLCFG: \"cacertex\",(0-5),<cacertexpath>",
        "+QSSLCFG: \"clientcert\",(0-5),<client_cert_path>",
        "+QSSLCFG: \"clientkey\",(0-5),<client_key_path>,<key_pwd>",
        "+QSSLCFG: \"dtls\",(0-5),(0,1)",
        "+QSSLCFG: \"dtlsversion\",(0-5),(0-2)",
        "+QSSLCFG: \"psk\",(0-5),<identity>,<key>",
        "+QSSLCFG: \"ignoremulticertchainverify\",(0-5),(0,1)",
        "+QSSLCFG: \"ignoreinvalidcertsign\",(0-5),(0,1)",
        "+QSSLCFG: \"ignorecertitem\",(0-5),(0-1048575)",
        "+QSSLCFG: \"ignorelocaltime\",(0-5),(0,1)",
        "+QSSLCFG: \"session_cache\",(0-5),(0,1)",
        "+QSSLCFG: \"closetimemode\",(0-5),(0,1)",
        "+QSSLCFG: \"renegotiation\",(0-5),(0,1)",
        "+QSSLCFG: \"alpn\",(0-5),<ALPN_name>",
    ];
    assert_eq!(test_lines(), expected);
    assert_eq!(SslSettings::test_lines(), expected);
}

#[test]
fn failed_writes_leave_settings_untouched() {
    let mut s = SslSettings::default();
    s.set("clientkey", &[q("a.key"), q("pw")]).unwrap();
    let before = s.clone();
    assert_eq!(s.set("clientkey", &[q("b.key"), b("pw")]), Err(CfgError::BadValue));
    assert_eq!(s.set("psk", &[q("id"), b("k")]), Err(CfgError::BadValue));
    assert_eq!(s.set("cacertex", &[b("9"), q("x")]), Err(CfgError::BadValue));
    assert_eq!(s, before);
}
