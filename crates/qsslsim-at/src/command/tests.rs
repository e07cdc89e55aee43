//! Unit tests for [`super::parse_line`].

use super::{parse_line, Command, Kind, ParseError};
use crate::param::Param;

fn bare(s: &str) -> Param {
    Param::Bare(s.to_string())
}

fn quoted(s: &str) -> Param {
    Param::Quoted(s.to_string())
}

fn cmd(name: &str, kind: Kind) -> Command {
    Command { name: name.to_string(), kind }
}

fn write(name: &str, params: Vec<Param>) -> Command {
    cmd(name, Kind::Write(params))
}

fn ok(line: &str) -> Vec<Command> {
    match parse_line(line) {
        Ok(commands) => commands,
        Err(e) => panic!("{line:?} should parse, got {e:?}"),
    }
}

fn assert_syntax(line: &str) {
    assert_eq!(parse_line(line), Err(ParseError::Syntax), "line {line:?}");
}

// --- the AT prefix -------------------------------------------------------------------------

#[test]
fn bare_at_in_any_case_is_empty() {
    for line in ["AT", "at", "At", "aT", "AT ", "AT   "] {
        assert_eq!(parse_line(line), Ok(vec![]), "line {line:?}");
    }
}

#[test]
fn lines_not_starting_with_at_are_not_at() {
    for line in
        ["", "A", "T", "TA", " AT", "XAT", "+CMEE=1", "A T", "A\u{e9}", "\u{e9}AT", "中AT", "\0AT", "\tAT"]
    {
        assert_eq!(parse_line(line), Err(ParseError::NotAt), "line {line:?}");
    }
}

// --- extended commands ---------------------------------------------------------------------

#[test]
fn extended_forms() {
    assert_eq!(ok("AT+QIACT"), vec![cmd("+QIACT", Kind::Exec)]);
    assert_eq!(ok("AT+QIACT?"), vec![cmd("+QIACT", Kind::Read)]);
    assert_eq!(ok("AT+QIACT=?"), vec![cmd("+QIACT", Kind::Test)]);
    assert_eq!(ok("AT+QIACT=1"), vec![write("+QIACT", vec![bare("1")])]);
}

#[test]
fn names_are_upper_cased_and_may_hold_digits_and_underscores() {
    assert_eq!(ok("at+qiact?"), vec![cmd("+QIACT", Kind::Read)]);
    assert_eq!(ok("At+QsSlCfG=?"), vec![cmd("+QSSLCFG", Kind::Test)]);
    assert_eq!(ok("AT+q_cfg2"), vec![cmd("+Q_CFG2", Kind::Exec)]);
    assert_eq!(ok("AT+3GPP"), vec![cmd("+3GPP", Kind::Exec)]);
}

#[test]
fn the_spec_chain_example() {
    assert_eq!(
        ok(r#"AT+QSSLCFG="sni",1,1;+QSSLCFG="alpn",1,"h2""#),
        vec![
            write("+QSSLCFG", vec![quoted("sni"), bare("1"), bare("1")]),
            write("+QSSLCFG", vec![quoted("alpn"), bare("1"), quoted("h2")]),
        ]
    );
}

#[test]
fn chains_mix_all_forms_and_allow_a_trailing_semicolon() {
    assert_eq!(
        ok("AT+CMEE=2;+QIACT?;+QSSLCFG=?;+QIDEACT;"),
        vec![
            write("+CMEE", vec![bare("2")]),
            cmd("+QIACT", Kind::Read),
            cmd("+QSSLCFG", Kind::Test),
            cmd("+QIDEACT", Kind::Exec),
        ]
    );
    assert_eq!(ok("AT+QIACT?;"), vec![cmd("+QIACT", Kind::Read)]);
    assert_eq!(ok("AT+QIACT? ; "), vec![cmd("+QIACT", Kind::Read)]);
}

#[test]
fn quoted_params_keep_case_spaces_and_delimiters() {
    assert_eq!(
        ok(r#"at+qsslcfg="SNI" , 1 ,"Mixed Case, with; =?+ stuff""#),
        vec![write("+QSSLCFG", vec![quoted("SNI"), bare("1"), quoted("Mixed Case, with; =?+ stuff")])]
    );
    assert_eq!(ok(r#"AT+X=" padded ""#), vec![write("+X", vec![quoted(" padded ")])]);
}

#[test]
fn quoted_params_may_hold_non_ascii() {
    assert_eq!(
        ok("AT+X=\"h\u{e9}llo \u{4e2d} \u{1f600}\",2"),
        vec![write("+X", vec![quoted("h\u{e9}llo \u{4e2d} \u{1f600}"), bare("2")])]
    );
}

#[test]
fn empty_quotes_are_an_empty_quoted_string() {
    assert_eq!(ok(r#"AT+X="""#), vec![write("+X", vec![quoted("")])]);
    assert_eq!(ok(r#"AT+X=1,"",3"#), vec![write("+X", vec![bare("1"), quoted(""), bare("3")])]);
}

#[test]
fn missing_params_are_omitted() {
    assert_eq!(ok("AT+X=1,,3"), vec![write("+X", vec![bare("1"), Param::Omitted, bare("3")])]);
    assert_eq!(ok("AT+X="), vec![write("+X", vec![Param::Omitted])]);
    assert_eq!(ok("AT+X= "), vec![write("+X", vec![Param::Omitted])]);
    assert_eq!(ok("AT+X=,"), vec![write("+X", vec![Param::Omitted, Param::Omitted])]);
    assert_eq!(ok("AT+X=1,"), vec![write("+X", vec![bare("1"), Param::Omitted])]);
    assert_eq!(ok("AT+X= , ,"), vec![write("+X", vec![Param::Omitted, Param::Omitted, Param::Omitted])]);
    assert_eq!(ok("AT+X=;+Y"), vec![write("+X", vec![Param::Omitted]), cmd("+Y", Kind::Exec)]);
}

#[test]
fn bare_params_are_trimmed_and_kept_verbatim() {
    assert_eq!(
        ok("AT+QSSLCFG = \"ciphersuite\" , 2 , 0X0035 ,-7, +5 "),
        vec![write(
            "+QSSLCFG",
            vec![quoted("ciphersuite"), bare("2"), bare("0X0035"), bare("-7"), bare("+5")]
        )]
    );
    assert_eq!(
        ok("AT+X=0xC02F:0xc030,a.b/c_d*#"),
        vec![write("+X", vec![bare("0xC02F:0xc030"), bare("a.b/c_d*#")])]
    );
}

#[test]
fn spaces_around_names_and_markers_are_ignored() {
    assert_eq!(ok("AT +QIACT ?"), vec![cmd("+QIACT", Kind::Read)]);
    assert_eq!(ok("AT+QIACT = ?"), vec![cmd("+QIACT", Kind::Test)]);
    assert_eq!(ok("AT+QIACT =1"), vec![write("+QIACT", vec![bare("1")])]);
    assert_eq!(ok("AT  +A ;  +B?  "), vec![cmd("+A", Kind::Exec), cmd("+B", Kind::Read)]);
}

#[test]
fn bad_extended_syntax_is_rejected() {
    for line in [
        "AT+",
        "AT+;",
        "AT+=1",
        "AT+?",
        "AT++X",
        "AT+X-Y",
        "AT+X.Y",
        "AT+X+Y",
        "AT+X?1",
        "AT+X??",
        "AT+X=??",
        "AT+X=?1",
        "AT+X=?,1",
        "AT+X=1?",
        "AT+X=a=b",
        "AT+X==1",
        "AT+X=1 2",
        "AT+X=1,2 3",
        "AT+X E0",
        "AT+X\t",
        "AT+X=\t1",
        "AT+X=\u{e9}",
        "AT+X\u{e9}",
        "AT+X=1\r",
        "AT+X=1\n",
    ] {
        assert_syntax(line);
    }
}

#[test]
fn bad_quoting_is_rejected() {
    for line in [
        r#"AT+X=""#,
        r#"AT+X="abc"#,
        r#"AT+X=1,"abc"#,
        r#"AT+X="a"b"#,
        r#"AT+X="a" b"#,
        r#"AT+X="a""b""#,
        r#"AT+X="a" "b""#,
        r#"AT+X=a"b""#,
        r#"AT+X=1"2""#,
        r#"AT+X"a""#,
        r#"AT"a""#,
    ] {
        assert_syntax(line);
    }
}

#[test]
fn quoted_string_may_be_followed_by_spaces_before_a_delimiter() {
    assert_eq!(
        ok(r#"AT+X="a"   ,"b"  ;+Y"#),
        vec![write("+X", vec![quoted("a"), quoted("b")]), cmd("+Y", Kind::Exec)]
    );
}

#[test]
fn separator_rules() {
    // An extended command must be ended by ';' or the end of the line.
    assert_syntax("AT+A+B");
    // Only an extended command may follow ';'.
    assert_syntax("AT+A;AT+B");
    assert_syntax("AT+A;E0");
    assert_syntax("ATE0;V1");
    // ';' must end a command.
    assert_syntax("AT;");
    assert_syntax("AT ;");
    assert_syntax("AT;+A");
    assert_syntax("AT+A;;+B");
    assert_syntax("AT+A;;");
    assert_syntax("AT+A; ;");
}

// --- basic commands ------------------------------------------------------------------------

#[test]
fn single_basic_commands() {
    let digits = |n: &str| Kind::Write(vec![bare(n)]);
    assert_eq!(ok("ATE0"), vec![cmd("E", digits("0"))]);
    assert_eq!(ok("ATV1"), vec![cmd("V", digits("1"))]);
    assert_eq!(ok("ATI"), vec![cmd("I", Kind::Exec)]);
    assert_eq!(ok("ATI0"), vec![cmd("I", digits("0"))]);
    assert_eq!(ok("ATO"), vec![cmd("O", Kind::Exec)]);
    assert_eq!(ok("ATZ"), vec![cmd("Z", Kind::Exec)]);
    assert_eq!(ok("ATQ0"), vec![cmd("Q", digits("0"))]);
    assert_eq!(ok("AT&D1"), vec![cmd("&D", digits("1"))]);
    assert_eq!(ok("AT&F"), vec![cmd("&F", Kind::Exec)]);
    assert_eq!(ok("AT&W"), vec![cmd("&W", Kind::Exec)]);
    assert_eq!(ok("AT&F0"), vec![cmd("&F", digits("0"))]);
    assert_eq!(ok("ATE"), vec![cmd("E", Kind::Exec)]);
    assert_eq!(ok("ATH00"), vec![cmd("H", digits("00"))]);
}

#[test]
fn basic_names_are_upper_cased() {
    assert_eq!(ok("ate0"), vec![cmd("E", Kind::Write(vec![bare("0")]))]);
    assert_eq!(ok("at&d2"), vec![cmd("&D", Kind::Write(vec![bare("2")]))]);
    assert_eq!(ok("ati"), vec![cmd("I", Kind::Exec)]);
}

#[test]
fn basic_commands_concatenate() {
    assert_eq!(
        ok("ATE0V1&D2"),
        vec![
            cmd("E", Kind::Write(vec![bare("0")])),
            cmd("V", Kind::Write(vec![bare("1")])),
            cmd("&D", Kind::Write(vec![bare("2")])),
        ]
    );
    assert_eq!(ok("ATIZ&F"), vec![cmd("I", Kind::Exec), cmd("Z", Kind::Exec), cmd("&F", Kind::Exec)]);
    assert_eq!(
        ok("AT E0 V1 &W"),
        vec![
            cmd("E", Kind::Write(vec![bare("0")])),
            cmd("V", Kind::Write(vec![bare("1")])),
            cmd("&W", Kind::Exec),
        ]
    );
}

#[test]
fn basic_then_extended() {
    let expected = vec![cmd("E", Kind::Write(vec![bare("0")])), write("+CMEE", vec![bare("2")])];
    assert_eq!(ok("ATE0+CMEE=2"), expected);
    assert_eq!(ok("ATE0;+CMEE=2"), expected);
    assert_eq!(ok("ATE0 ; +CMEE=2"), expected);
    assert_eq!(ok("ATE0 +CMEE=2"), expected);
    assert_eq!(ok("ATE0;"), vec![cmd("E", Kind::Write(vec![bare("0")]))]);
    assert_eq!(
        ok("ATE0V1+CMEE?;+QIACT?"),
        vec![
            cmd("E", Kind::Write(vec![bare("0")])),
            cmd("V", Kind::Write(vec![bare("1")])),
            cmd("+CMEE", Kind::Read),
            cmd("+QIACT", Kind::Read),
        ]
    );
}

#[test]
fn s_registers() {
    assert_eq!(ok("ATS3=13"), vec![cmd("S3", Kind::Write(vec![bare("13")]))]);
    assert_eq!(ok("ATS3?"), vec![cmd("S3", Kind::Read)]);
    assert_eq!(ok("ATS3=?"), vec![cmd("S3", Kind::Test)]);
    assert_eq!(ok("ats5=8"), vec![cmd("S5", Kind::Write(vec![bare("8")]))]);
    assert_eq!(ok("ATS10 = 5"), vec![cmd("S10", Kind::Write(vec![bare("5")]))]);
    assert_eq!(ok("ATS3 ?"), vec![cmd("S3", Kind::Read)]);
    assert_eq!(ok("ATS3= ?"), vec![cmd("S3", Kind::Test)]);
    assert_eq!(ok("ATS3="), vec![cmd("S3", Kind::Write(vec![Param::Omitted]))]);
}

#[test]
fn s_registers_chain_like_other_basic_commands() {
    assert_eq!(
        ok("ATE0S3=13V1"),
        vec![
            cmd("E", Kind::Write(vec![bare("0")])),
            cmd("S3", Kind::Write(vec![bare("13")])),
            cmd("V", Kind::Write(vec![bare("1")])),
        ]
    );
    assert_eq!(
        ok("ATS3?S4?;+CMEE?"),
        vec![cmd("S3", Kind::Read), cmd("S4", Kind::Read), cmd("+CMEE", Kind::Read),]
    );
    assert_eq!(
        ok("ATS3=+CMEE=1"),
        vec![cmd("S3", Kind::Write(vec![Param::Omitted])), write("+CMEE", vec![bare("1")]),]
    );
}

#[test]
fn ampersand_s_is_a_basic_command_not_a_register() {
    assert_eq!(ok("AT&S0"), vec![cmd("&S", Kind::Write(vec![bare("0")]))]);
}

#[test]
fn bad_basic_syntax_is_rejected() {
    for line in [
        "AT0",
        "AT&",
        "AT&&D",
        "AT&1",
        "AT&+CMEE",
        "ATE-1",
        "ATE?",
        "ATE=1",
        "ATE0,1",
        "ATE 0",
        "ATS",
        "ATS3",
        "ATS3 ",
        "ATSE",
        "ATS=3",
        "ATS3=1 3",
        "ATS3=\"1\"",
        "ATS3=-1",
        "ATS3=1.5",
        "ATS3?=",
        "AT#",
        "AT*",
        "AT\"a\"",
        "ATE0\u{e9}",
        "AT\u{e9}",
        "AT,",
        "ATE0,",
    ] {
        assert_syntax(line);
    }
}

#[test]
fn quoted_text_is_not_misread_as_commands() {
    assert_eq!(ok(r#"AT+X="ATE0;+Y",1"#), vec![write("+X", vec![quoted("ATE0;+Y"), bare("1")])]);
}

#[test]
fn an_s_register_value_ends_at_the_first_non_digit_as_in_v25ter() {
    // Basic commands concatenate without separators, so a letter after the value starts
    // the next basic command.
    assert_eq!(
        ok("ATS3=0x1"),
        vec![cmd("S3", Kind::Write(vec![bare("0")])), cmd("X", Kind::Write(vec![bare("1")])),]
    );
    assert_eq!(ok("ATS3=x"), vec![cmd("S3", Kind::Write(vec![Param::Omitted])), cmd("X", Kind::Exec)]);
}

#[test]
fn dial_takes_the_rest_of_the_line_as_its_string() {
    assert_eq!(ok("ATD*99***1#"), vec![write("D", vec![bare("*99***1#")])]);
    assert_eq!(ok("atdt*99#"), vec![write("D", vec![bare("T*99#")])]);
    assert_eq!(ok("ATE0D *99 #"), vec![write("E", vec![bare("0")]), write("D", vec![bare("*99#")])]);
    assert_eq!(ok("ATD123;"), vec![write("D", vec![bare("123")])]);
    assert_eq!(ok("ATD"), vec![cmd("D", Kind::Exec)]);
}
