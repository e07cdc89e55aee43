//! File commands driven straight into the module: `AT+QFUPL` (data phase ended by size,
//! `+++` or inactivity; ACK mode), `AT+QFLST`, `AT+QFDEL`, `AT+QFDWL`, with their `+CME ERROR`
//! codes. Time only moves when a test moves it.

mod bench;

use std::time::Duration;

use bench::{Bench, ERROR, OK};

/// The checksum as SPEC.md §10 defines it, written out independently of the crate.
fn checksum(data: &[u8]) -> String {
    let sum = data.chunks(2).fold(0u16, |acc, w| acc ^ u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    format!("{sum:x}")
}

fn qfupl_reply(len: usize, data: &[u8]) -> String {
    format!("\r\n+QFUPL: {len},{}\r\n\r\nOK\r\n", checksum(data))
}

fn put(b: &mut Bench, name: &str, data: &[u8]) {
    b.m.files_mut().put(name, data.to_vec()).unwrap();
}

// ---- AT+QFUPL ------------------------------------------------------------------------------

#[test]
fn checksum_helper_matches_the_specs_examples() {
    assert_eq!(checksum(b"hi"), "6869");
    assert_eq!(checksum(b"abc"), "262");
    assert_eq!(checksum(b""), "0");
}

#[test]
fn qfupl_test_form_shows_free_ufs_space() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=?", "\r\n+QFUPL: <filename>,(1-1048576),(1-65535),(0,1)\r\n\r\nOK\r\n");
    put(&mut b, "a", b"hello");
    b.check("AT+QFUPL=?", "\r\n+QFUPL: <filename>,(1-1048571),(1-65535),(0,1)\r\n\r\nOK\r\n");
}

#[test]
fn qfupl_takes_exactly_size_bytes_then_reports_length_and_checksum() {
    let mut b = Bench::new();
    assert_eq!(b.at_writes("AT+QFUPL=\"a.txt\",5"), ["\r\nCONNECT\r\n"]);
    assert_eq!(b.port_mode(), "file_upload");
    b.input(b"hel");
    assert_eq!(b.take_text(), "");
    b.input(b"lo");
    assert_eq!(b.take_writes_text(), ["\r\n+QFUPL: 5,6b09\r\n\r\nOK\r\n"]);
    assert_eq!(b.port_mode(), "command");
    b.check("AT+QFLST", "\r\n+QFLST: \"UFS:a.txt\",5\r\n\r\nOK\r\n");
    b.check("AT+QFDWL=\"a.txt\"", "\r\nCONNECT\r\nhello\r\n+QFDWL: 5,6b09\r\n\r\nOK\r\n");
}

#[test]
fn qfupl_checksum_has_no_leading_zeros() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"abc\",3", "\r\nCONNECT\r\n");
    b.input(b"abc");
    assert_eq!(b.take_text(), "\r\n+QFUPL: 3,262\r\n\r\nOK\r\n");
}

#[test]
fn qfupl_data_is_never_echoed() {
    let mut b = Bench::with_echo();
    assert_eq!(b.at_writes("AT+QFUPL=\"a\",2"), ["AT+QFUPL=\"a\",2\r\r\nCONNECT\r\n"]);
    b.input(b"hi");
    assert_eq!(b.take_writes_text(), ["\r\n+QFUPL: 2,6869\r\n\r\nOK\r\n"]);
}

#[test]
fn qfupl_data_is_binary_safe() {
    let mut b = Bench::new();
    let data = b"\r\n\x1a\x1b+\0\xffAT\r";
    b.check(&format!("AT+QFUPL=\"bin\",{}", data.len()), "\r\nCONNECT\r\n");
    b.input(data);
    assert_eq!(b.take_text(), qfupl_reply(data.len(), data));
    let mut want = b"\r\nCONNECT\r\n".to_vec();
    want.extend_from_slice(data);
    want.extend_from_slice(format!("\r\n+QFDWL: {},{}\r\n\r\nOK\r\n", data.len(), checksum(data)).as_bytes());
    b.input(b"AT+QFDWL=\"bin\"\r");
    assert_eq!(b.take_bytes(), want);
}

#[test]
fn qfupl_bytes_beyond_the_size_are_command_input() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"abc\",3", "\r\nCONNECT\r\n");
    b.input(b"abcAT+CSQ\r");
    assert_eq!(b.take_writes_text(), ["\r\n+QFUPL: 3,262\r\n\r\nOK\r\n", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n"]);
}

#[test]
fn qfupl_lf_with_the_command_is_a_line_ending_and_later_lf_is_data() {
    let mut b = Bench::new();
    b.input(b"AT+QFUPL=\"a\",2\r\nhi");
    assert_eq!(b.take_writes_text(), ["\r\nCONNECT\r\n", "\r\n+QFUPL: 2,6869\r\n\r\nOK\r\n"]);
    b.input(b"AT+QFUPL=\"b\",2\r");
    assert_eq!(b.take_text(), "\r\nCONNECT\r\n");
    b.input(b"\nh");
    assert_eq!(b.take_text(), qfupl_reply(2, b"\nh"));
}

#[test]
fn qfupl_default_size_is_10240() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"d\"", "\r\nCONNECT\r\n");
    let data: Vec<u8> = (0..10240u32).map(|i| (i * 7) as u8).collect();
    b.input(&data[..10239]);
    assert_eq!(b.take_text(), "");
    b.input(&data[10239..]);
    assert_eq!(b.take_text(), qfupl_reply(10240, &data));
}

#[test]
fn qfupl_ack_mode_writes_a_after_every_1024_bytes() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"k\",2500,5,1", "\r\nCONNECT\r\n");
    b.input(&[0u8; 1023]);
    assert_eq!(b.take_writes_text(), Vec::<String>::new());
    b.input(&[0u8; 1]);
    assert_eq!(b.take_writes_text(), ["A"]);
    b.input(&[0u8; 1024]);
    assert_eq!(b.take_writes_text(), ["A"]);
    b.input(&[0u8; 452]);
    assert_eq!(b.take_writes_text(), ["\r\n+QFUPL: 2500,0\r\n\r\nOK\r\n"]);
}

#[test]
fn qfupl_ack_mode_acks_the_last_block_before_the_answer() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"k\",2048,5,1", "\r\nCONNECT\r\n");
    b.input(&[0u8; 2048]);
    assert_eq!(b.take_writes_text(), ["AA", "\r\n+QFUPL: 2048,0\r\n\r\nOK\r\n"]);
}

#[test]
fn qfupl_without_ack_mode_writes_no_acks() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"k\",2048,5,0", "\r\nCONNECT\r\n");
    b.input(&[0u8; 2048]);
    assert_eq!(b.take_writes_text(), ["\r\n+QFUPL: 2048,0\r\n\r\nOK\r\n"]);
}

#[test]
fn qfupl_guarded_plus_plus_plus_ends_early_keeping_what_came() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"e\",100,60", "\r\nCONNECT\r\n");
    b.input(b"abc");
    b.advance(Duration::from_secs(1));
    b.input(b"+++");
    b.advance(Duration::from_millis(999));
    assert_eq!(b.take_text(), "", "the guard after +++ has not passed");
    b.advance(Duration::from_millis(1));
    assert_eq!(b.take_writes_text(), ["\r\n+QFUPL: 3,262\r\n\r\nOK\r\n"]);
    b.check("AT+QFLST=\"e\"", "\r\n+QFLST: \"UFS:e\",3\r\n\r\nOK\r\n");
}

#[test]
fn qfupl_plus_plus_plus_without_the_guard_before_is_data() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"e\",6,60", "\r\nCONNECT\r\n");
    b.input(b"abc+++");
    assert_eq!(b.take_text(), qfupl_reply(6, b"abc+++"));
}

#[test]
fn qfupl_plus_plus_plus_followed_too_soon_by_data_is_data() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"e\",100,60", "\r\nCONNECT\r\n");
    b.advance(Duration::from_secs(2));
    b.input(b"+++");
    b.advance(Duration::from_millis(500));
    b.input(b"x");
    b.advance(Duration::from_secs(2));
    assert_eq!(b.take_text(), "");
    b.advance(Duration::from_secs(60));
    assert_eq!(b.take_text(), qfupl_reply(4, b"+++x"));
}

#[test]
fn qfupl_plus_plus_plus_that_completes_the_size_is_data() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"p\",3,60", "\r\nCONNECT\r\n");
    b.advance(Duration::from_secs(2));
    b.input(b"+++");
    assert_eq!(b.take_text(), qfupl_reply(3, b"+++"));
}

#[test]
fn qfupl_inactivity_ends_it_keeping_what_came() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"t\",100,2", "\r\nCONNECT\r\n");
    b.advance(Duration::from_secs(1));
    b.input(b"abc");
    // Two seconds from the last byte, not from CONNECT.
    b.advance(Duration::from_millis(1999));
    assert_eq!(b.take_text(), "");
    b.advance(Duration::from_millis(1));
    assert_eq!(b.take_writes_text(), ["\r\n+QFUPL: 3,262\r\n\r\nOK\r\n"]);
    b.check("AT+QFLST=\"t\"", "\r\n+QFLST: \"UFS:t\",3\r\n\r\nOK\r\n");
}

#[test]
fn qfupl_default_timeout_is_5_s_and_no_data_stores_an_empty_file() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"z\",10", "\r\nCONNECT\r\n");
    b.advance(Duration::from_millis(4999));
    assert_eq!(b.take_text(), "");
    b.advance(Duration::from_millis(1));
    assert_eq!(b.take_text(), "\r\n+QFUPL: 0,0\r\n\r\nOK\r\n");
    b.check("AT+QFLST=\"z\"", "\r\n+QFLST: \"UFS:z\",0\r\n\r\nOK\r\n");
}

#[test]
fn qfupl_to_the_ram_drive() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"RAM:r.pem\",2", "\r\nCONNECT\r\n");
    b.input(b"hi");
    assert_eq!(b.take_text(), "\r\n+QFUPL: 2,6869\r\n\r\nOK\r\n");
    b.check("AT+QFLST", OK);
    b.check("AT+QFLST=\"RAM:*\"", "\r\n+QFLST: \"RAM:r.pem\",2\r\n\r\nOK\r\n");
}

#[test]
fn qfupl_to_an_existing_name_is_407() {
    let mut b = Bench::new();
    put(&mut b, "a.pem", b"x");
    b.check_cme("AT+QFUPL=\"a.pem\",1", 407);
    b.check_cme("AT+QFUPL=\"UFS:a.pem\",1", 407);
    b.check_cme("AT+QFUPL=\"ufs:a.pem\",1", 407);
    // Names are case-sensitive and the RAM drive is another place.
    b.check("AT+QFUPL=\"A.pem\",1", "\r\nCONNECT\r\n");
    b.input(b"y");
    assert_eq!(b.take_text(), "\r\n+QFUPL: 1,7900\r\n\r\nOK\r\n");
    b.check("AT+QFUPL=\"RAM:a.pem\",1", "\r\nCONNECT\r\n");
}

#[test]
fn qfupl_bad_names_are_406() {
    let mut b = Bench::new();
    let long = "n".repeat(81);
    for bad in ["a/b", "a\\\\b", "", "UFS:", "SD:a", "a*", "a?", "a:b", long.as_str()] {
        b.check_cme(&format!("AT+QFUPL=\"{bad}\",1"), 406);
    }
    let longest = "n".repeat(80);
    b.check(&format!("AT+QFUPL=\"{longest}\",1"), "\r\nCONNECT\r\n");
}

#[test]
fn qfupl_over_256_kib_is_423() {
    let mut b = Bench::new();
    b.check_cme("AT+QFUPL=\"big\",262145", 423);
    b.check("AT+QFUPL=\"big\",262144", "\r\nCONNECT\r\n");
}

#[test]
fn qfupl_bad_parameters_are_425() {
    let mut b = Bench::new();
    for bad in [
        "AT+QFUPL=\"a\",0",
        "AT+QFUPL=\"a\",-1",
        "AT+QFUPL=\"a\",\"5\"",
        "AT+QFUPL=\"a\",5,0",
        "AT+QFUPL=\"a\",5,65536",
        "AT+QFUPL=\"a\",5,5,2",
        "AT+QFUPL=\"a\",5,5,1,1",
        "AT+QFUPL=a,5",
        "AT+QFUPL",
        "AT+QFUPL?",
    ] {
        b.check_cme(bad, 425);
    }
    b.check("AT+QFLST", OK);
}

#[test]
fn qfupl_to_a_full_drive_is_403() {
    let mut b = Bench::new();
    for i in 0..64 {
        put(&mut b, &format!("f{i}"), b"x");
    }
    b.check_cme("AT+QFUPL=\"one-more\",1", 403);
    // The RAM drive holds 512 KiB.
    put(&mut b, "RAM:a", &vec![0; 262_144]);
    put(&mut b, "RAM:b", &vec![0; 262_000]);
    b.check_cme("AT+QFUPL=\"RAM:c\",145", 403);
    b.check("AT+QFUPL=\"RAM:c\",144", "\r\nCONNECT\r\n");
}

#[test]
fn file_errors_leave_the_recorded_error_alone() {
    let mut b = Bench::new();
    b.check_code("AT+QSSLRECV=0,0", 552);
    b.check_cme("AT+QFUPL=\"a\",0", 425);
    b.check_cme("AT+QFDEL=\"nope\"", 405);
    assert_eq!(b.last_error(), 552);
}

#[test]

fn urcs_held_during_an_upload_follow_its_ok_after_the_gap() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+QFUPL=\"u\",2", "\r\nCONNECT\r\n");
    b.data(0, conn, b"server");
    b.advance(Duration::from_secs(1));
    assert_eq!(b.take_text(), "");
    b.input(b"hi");
    // SPEC §1 (HW): a URC after a final result comes in a separate write, noticeably later.
    assert_eq!(b.take_writes_text(), ["\r\n+QFUPL: 2,6869\r\n\r\nOK\r\n"]);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",0\r\n"]);
}

#[test]
fn urcs_wait_for_the_end_of_an_upload_in_a_write_of_their_own() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+QFUPL=\"u\",2", "\r\nCONNECT\r\n");
    b.data(0, conn, b"server");
    b.advance(Duration::from_secs(1));
    assert_eq!(b.take_text(), "");
    b.input(b"hi");
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QFUPL: 2,6869\r\n\r\nOK\r\n", "\r\n+QSSLURC: \"recv\",0\r\n"]);
}

// ---- AT+QFLST ------------------------------------------------------------------------------

fn three_files() -> Bench {
    let mut b = Bench::new();
    put(&mut b, "a.pem", b"abc");
    put(&mut b, "b.txt", b"hello");
    put(&mut b, "RAM:c.pem", b"1234567");
    b
}

#[test]
fn qflst_lists_the_ufs_drive_in_name_order() {
    let mut b = three_files();
    let all = "\r\n+QFLST: \"UFS:a.pem\",3\r\n+QFLST: \"UFS:b.txt\",5\r\n\r\nOK\r\n";
    b.check("AT+QFLST", all);
    b.check("AT+QFLST=\"*\"", all);
    b.check("AT+QFLST=\"UFS:*\"", all);
}

#[test]
fn qflst_patterns_pick_files_and_drives() {
    let mut b = three_files();
    b.check("AT+QFLST=\"RAM:*\"", "\r\n+QFLST: \"RAM:c.pem\",7\r\n\r\nOK\r\n");
    b.check("AT+QFLST=\"*.pem\"", "\r\n+QFLST: \"UFS:a.pem\",3\r\n\r\nOK\r\n");
    b.check("AT+QFLST=\"b.txt\"", "\r\n+QFLST: \"UFS:b.txt\",5\r\n\r\nOK\r\n");
    b.check("AT+QFLST=\"nope\"", OK);
    b.check("AT+QFLST=\"SD:*\"", OK);
}

#[test]
fn qflst_on_empty_drives_is_bare_ok() {
    let mut b = Bench::new();
    b.check("AT+QFLST", OK);
    b.check("AT+QFLST=\"RAM:*\"", OK);
}

#[test]
fn qflst_test_form_and_refusals() {
    let mut b = three_files();
    b.check("AT+QFLST=?", OK);
    b.check_cme("AT+QFLST?", 425);
    b.check_cme("AT+QFLST=*", 425);
    b.check_cme("AT+QFLST=\"*\",\"*\"", 425);
}

// ---- AT+QFDEL ------------------------------------------------------------------------------

#[test]
fn qfdel_deletes_one_file() {
    let mut b = three_files();
    b.check("AT+QFDEL=\"a.pem\"", OK);
    b.check("AT+QFLST", "\r\n+QFLST: \"UFS:b.txt\",5\r\n\r\nOK\r\n");
    b.check("AT+QFDEL=\"RAM:c.pem\"", OK);
    b.check("AT+QFLST=\"RAM:*\"", OK);
}

#[test]
fn qfdel_missing_is_405_and_bad_name_406() {
    let mut b = three_files();
    b.check_cme("AT+QFDEL=\"missing\"", 405);
    b.check_cme("AT+QFDEL=\"RAM:a.pem\"", 405);
    b.check_cme("AT+QFDEL=\"A.PEM\"", 405);
    b.check_cme("AT+QFDEL=\"a/b\"", 406);
    b.check_cme("AT+QFDEL=\"SD:a\"", 406);
}

#[test]
fn qfdel_star_empties_one_drive_even_an_empty_one() {
    let mut b = three_files();
    b.check("AT+QFDEL=\"*\"", OK);
    b.check("AT+QFLST", OK);
    b.check("AT+QFLST=\"RAM:*\"", "\r\n+QFLST: \"RAM:c.pem\",7\r\n\r\nOK\r\n");
    b.check("AT+QFDEL=\"*\"", OK);
    b.check("AT+QFDEL=\"RAM:*\"", OK);
    b.check("AT+QFLST=\"RAM:*\"", OK);
}

#[test]
fn qfdel_test_form_and_refusals() {
    let mut b = three_files();
    b.check("AT+QFDEL=?", OK);
    b.check_cme("AT+QFDEL", 425);
    b.check_cme("AT+QFDEL?", 425);
    b.check_cme("AT+QFDEL=a.pem", 425);
    b.check_cme("AT+QFDEL=\"a.pem\",1", 425);
    b.check("AT+QFLST=\"a.pem\"", "\r\n+QFLST: \"UFS:a.pem\",3\r\n\r\nOK\r\n");
}

#[test]
fn a_deleted_name_can_be_uploaded_again() {
    let mut b = three_files();
    b.check_cme("AT+QFUPL=\"a.pem\",1", 407);
    b.check("AT+QFDEL=\"a.pem\"", OK);
    b.check("AT+QFUPL=\"a.pem\",1", "\r\nCONNECT\r\n");
}

// ---- AT+QFDWL ------------------------------------------------------------------------------

#[test]
fn qfdwl_sends_connect_data_and_the_checksum_in_one_write() {
    let mut b = Bench::new();
    put(&mut b, "a.txt", b"hi");
    assert_eq!(b.at_writes("AT+QFDWL=\"a.txt\""), ["\r\nCONNECT\r\nhi\r\n+QFDWL: 2,6869\r\n\r\nOK\r\n"]);
    put(&mut b, "RAM:r", b"abc");
    b.check("AT+QFDWL=\"RAM:r\"", "\r\nCONNECT\r\nabc\r\n+QFDWL: 3,262\r\n\r\nOK\r\n");
}

#[test]
fn qfdwl_refusals() {
    let mut b = Bench::new();
    b.check_cme("AT+QFDWL=\"missing\"", 405);
    b.check_cme("AT+QFDWL=\"a/b\"", 406);
    b.check("AT+QFDWL=?", OK);
    b.check_cme("AT+QFDWL", 425);
    b.check_cme("AT+QFDWL?", 425);
    b.check_cme("AT+QFDWL=a", 425);
}

#[test]
fn a_big_download_holds_the_next_line_until_the_host_has_read_it() {
    let mut b = Bench::new();
    let data = vec![b'd'; 100_000];
    put(&mut b, "big", &data);
    b.host_reads = false;
    b.input(b"AT+QFDWL=\"big\"\rAT+CSQ\r");
    let writes = b.take_writes_text();
    assert_eq!(writes.len(), 1, "only the download so far");
    assert!(writes[0].starts_with("\r\nCONNECT\r\nddd"));
    assert!(writes[0].ends_with(&format!("\r\n+QFDWL: 100000,{}\r\n\r\nOK\r\n", checksum(&data))));
    b.m.host_backlog(0, b.now);
    b.drain();
    assert_eq!(b.take_writes_text(), ["\r\n+CSQ: 24,99\r\n\r\nOK\r\n"]);
}

#[test]
fn file_commands_answer_error_under_cmee_0() {
    let mut b = Bench::new();
    b.check("AT+CMEE=0", OK);
    b.check("AT+QFDWL=\"missing\"", ERROR);
    b.check("AT+QFUPL=\"a\",0", ERROR);
}
