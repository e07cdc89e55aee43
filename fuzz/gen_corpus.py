#!/usr/bin/env python3
"""Regenerate the seed corpora in fuzz/corpus/<target>/ from the project's own transcripts.

    python3 fuzz/gen_corpus.py        # from the repository root or from fuzz/

- at_parser: the host bytes of each test in crates/qsslsim/tests/{maker_flow,pty_basics,
  pty_files,transparent_paused,open_results,qsslcfg_at}.rs (the strings passed to
  transact/send), prefixed by the harness header [S3][S5][echo pattern].
- modem: the same transcripts as op scripts (harness/modem.rs): each host chunk, then the
  scripted network as an echo peer and the deadlines run, "+++" framed by guard times; plus
  hand-written flows reaching every port mode (send prompt, transparent, upload), DTR,
  faults, network failures and each built-in scenario.
- scenario: the files in fixtures/scenarios/, the TOML blocks of docs/faults.md and the
  scenario module's examples and rejected files.
- control_request: the requests of docs/faults.md and the fault vocabulary table there.

The corpora stay small (tens of files); libFuzzer grows its working corpus elsewhere
(fuzz/target/corpus/<target>, see run.sh).
"""

import json
import os
import re
import shutil

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
TESTS = os.path.join(ROOT, "crates", "qsslsim", "tests")

# ---- Rust string literals ---------------------------------------------------------------

STR = r'"((?:[^"\\]|\\.)*)"'
CALL = re.compile(r'\.(transact|send|send_bytewise)\(\s*(?:&format!\(|b)?' + STR, re.S)
FN = re.compile(r'^\s*(?:async\s+)?fn\s+(\w+)\s*\(', re.M)


def unescape(s: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = s[i + 1]
        i += 2
        if n == "r":
            out += b"\r"
        elif n == "n":
            out += b"\n"
        elif n == "t":
            out += b"\t"
        elif n == "0":
            out += b"\0"
        elif n == "x":
            out.append(int(s[i:i + 2], 16))
            i += 2
        elif n == "u":
            end = s.index("}", i)
            out += chr(int(s[i + 1:end], 16)).encode()
            i = end + 1
        elif n == "\n":  # line continuation
            while i < len(s) and s[i] in " \t\n":
                i += 1
        else:
            out += n.encode()
    return bytes(out)


def transcripts(name: str):
    """[(test fn name, [host chunk bytes])] for one test file."""
    text = open(os.path.join(TESTS, name)).read()
    fns = [(m.start(), m.group(1)) for m in FN.finditer(text)]
    result = []
    for k, (start, fn) in enumerate(fns):
        end = fns[k + 1][0] if k + 1 < len(fns) else len(text)
        chunks = []
        for m in CALL.finditer(text, start, end):
            raw = m.group(2)
            raw = raw.replace("{port}", "8010").replace("{}", "8010")
            if "{" in raw:
                continue
            chunks.append(unescape(raw))
        if chunks:
            result.append((fn, chunks))
    return result


# ---- op encoding (harness/modem.rs) ------------------------------------------------------


def host(data: bytes, bytewise=False) -> bytes:
    out = b""
    for i in range(0, len(data), 255):
        piece = data[i:i + 255]
        out += bytes([0x10 if bytewise else 0x00, len(piece)]) + piece
    return out


def line(idx: int, n: int = 0) -> bytes:
    return bytes([0x01 | (n << 4), idx])


def wait(ms: int) -> bytes:
    scale = 0
    while ms > 0xFFFF:
        ms //= 10
        scale += 1
    return bytes([0x02 | (scale << 4)]) + ms.to_bytes(2, "little")


def net(kind: int, sel=0, a=0, b=0) -> bytes:
    return bytes([0x03, sel, kind, a, b])


OPENED, OPEN_FAILED, DATA, SENT, REMOTE_CLOSED, CLOSED = range(6)


def data(n: int, sel=0) -> bytes:
    return net(DATA, sel, n & 0xFF, n >> 8)


def dtr(high: bool) -> bytes:
    return bytes([0x04 | (0x10 if high else 0)])


def fault(kind: int, a=0) -> bytes:
    return bytes([0x05, kind, a])


def idle(times=4) -> bytes:
    return bytes([0x06 | ((times - 1) << 4)])


ECHO = bytes([0x07])


def clock(v: int) -> bytes:
    return bytes([0x08]) + v.to_bytes(2, "little")


# fault kinds (harness::fault)
REFUSE, DNS_FAIL, DNS_BUSY, STALL, ALERT, SERVER_CLOSE, RESET, PDP_LOST, LATENCY, BANDWIDTH, \
    SEND_FULL, RX_STALL, URC_DELAY, RESTART = range(14)


def transcript_script(chunks, guard_ms) -> bytes:
    out = b""
    for c in chunks:
        if c.strip(b"+") == b"" and c:
            out += wait(guard_ms + 200) + host(c) + wait(guard_ms + 200)
            continue
        out += host(c) + ECHO + idle(4)
    return out


SETUP = host(b"AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1\r") + host(b"AT+QIACT=1\r")


def opened(mode: int, sock=4) -> bytes:
    return host(b"AT+QSSLOPEN=1,1,%d,\"192.0.2.2\",8010,%d\r" % (sock, mode)) + net(OPENED) + idle(4)


def hand_written():
    g = 1000  # default guard time
    return {
        "buffer-recv-close": SETUP + opened(0) + data(36) + idle() + host(b"AT+QSSLRECV=4,10\r")
        + host(b"AT+QSSLRECV=4,1500\r") + net(REMOTE_CLOSED) + idle() + host(b"AT+QSSLRECV=4,1500\r")
        + host(b"AT+QSSLCLOSE=4\r"),
        "push-3000": SETUP + opened(1) + data(3000) + idle(8) + host(b"AT+QSSLSTATE=4\r"),
        "send-prompt-cancel-fixed": SETUP + opened(0) + host(b"AT+QSSLSEND=4\r") + host(b"abc\x1b")
        + host(b"AT+QSSLSEND=4,5\r") + host(b"he", True) + host(b"llo") + net(SENT) + idle()
        + host(b"AT+QSSLSEND=4\r") + host(b"x" * 1461) + idle(),
        "transparent-escape-ato": SETUP + host(b"AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2\r")
        + ECHO + host(b"raw bytes \x1a\x1b\r\n") + ECHO + wait(g + 100) + host(b"+++") + wait(g + 100)
        + host(b"ATO\r") + host(b"more") + ECHO + wait(g + 100) + host(b"+", True) + host(b"++") + wait(g + 10)
        + host(b"AT+QISWTMD=4,2\r") + net(REMOTE_CLOSED) + host(b"ATO\r"),
        "transparent-dtr": SETUP + host(b"AT&D1\r") + host(b"AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2\r")
        + net(OPENED) + host(b"data") + dtr(True) + dtr(False) + host(b"AT&D2\r") + host(b"ATO\r")
        + dtr(True) + idle() + host(b"AT+QSSLSTATE\r"),
        "transparent-open-fails": SETUP + host(b"AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2\r") + host(b"AT\r")
        + net(OPEN_FAILED, a=6) + idle() + host(b"AT+QIGETERROR\r"),
        "upload-ack-escape-timeout": host(b"AT+QFUPL=\"ack.bin\",3000,5,1\r") + host(bytes(range(256)) * 4)
        + host(b"x" * 200) + wait(g + 50) + host(b"+++") + wait(g + 50) + host(b"AT+QFUPL=\"idle.bin\",100,1\r")
        + host(b"abc") + wait(1500) + host(b"AT+QFUPL=\"RAM:c.pem\",5\r\x1a\x1b+++AT\r") + host(b"AT+QFLST\r")
        + host(b"AT+QFDWL=\"RAM:c.pem\"\r"),
        "close-linger-closed": SETUP + host(b"AT+QSSLCFG=\"closetimemode\",1,1\r") + opened(0)
        + host(b"AT+QSSLCLOSE=4,500\r") + host(b"AT\r") + net(CLOSED) + idle() + opened(1, 5)
        + host(b"AT+QSSLCLOSE=5,0\r"),
        "faults-pdp-restart": SETUP + opened(0) + opened(1, 5) + fault(SEND_FULL, 4) + host(b"AT+QSSLSEND=4,3\r")
        + host(b"abc") + fault(URC_DELAY, 0x30) + data(10, 1) + fault(PDP_LOST, 1) + idle(8)
        + fault(RESTART) + idle() + host(b"AT+QSSLSTATE\r"),
        "open-faults": SETUP + fault(REFUSE) + fault(STALL) + opened(0) + net(OPEN_FAILED, a=4)
        + host(b"AT+QSSLOPEN=1,1,5,\"192.0.2.2\",8010,0\r") + net(OPEN_FAILED, a=6) + idle()
        + fault(SERVER_CLOSE, 0x1C) + fault(LATENCY, 0x2C) + fault(BANDWIDTH, 0x3C),
        "echo-off-verbose-off": host(b"ATE0V0\r") + SETUP + opened(0) + host(b"AT+QSSLSEND=4\rhi\x1a") + ECHO
        + idle() + host(b"AT+QSSLRECV=4,1500\r") + host(b"ATV1E1\r"),
        "clock-and-restart": clock(1234) + host(b"AT+CCLK?\r") + fault(RESTART) + idle() + host(b"AT+CCLK?\r"),
    }


def scenario_flow() -> bytes:
    return SETUP + opened(0) + host(b"AT+QSSLSEND=4\rhello\x1a") + ECHO + idle(8) + wait(6000) \
        + host(b"AT+QSSLRECV=4,1500\r") + host(b"AT+QFUPL=\"a.bin\",3\rabc") + idle(8)


# ---- writing ----------------------------------------------------------------------------


def write(target: str, files: dict):
    d = os.path.join(FUZZ, "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, content in files.items():
        if isinstance(content, str):
            content = content.encode()
        with open(os.path.join(d, name), "wb") as f:
            f.write(content)
    print(f"{target}: {len(files)} files, {sum(len(c) for c in files.values())} bytes")


def main():
    at, modem = {}, {}
    guards = {"maker_flow.rs": 300}
    for name in ["maker_flow.rs", "pty_basics.rs", "pty_files.rs", "transparent_paused.rs",
                 "open_results.rs", "qsslcfg_at.rs"]:
        for fn, chunks in transcripts(name):
            stem = f"{name[:-3]}-{fn}"
            at[stem] = b"\r\x08\xff" + b"".join(chunks)
            if name in ("maker_flow.rs", "pty_files.rs", "transparent_paused.rs", "pty_basics.rs"):
                guard = guards.get(name, 1000)
                config = (0x10 if guard == 300 else 0x00) | 0x40  # guard, test PKI
                script = bytes([config]) + transcript_script(chunks, guard)
                if len(script) <= 8192:
                    modem[stem] = script
    # The byte rules under other settings.
    at["custom-s3-s5"] = b"!\x7fATE\x7fI\r!A\x08!"
    at["lf-terminator"] = b"\n\x08\x55AT\n\nA/AT+X=\"a;b\",,0x1F\n"
    at["nul-and-repeat"] = b"\r\x08\x0f\0A\0T\0\r\0\nAX\x08/a/\r"
    at["too-long"] = b"\r\x08\xaa" + b"AT+" + b"X" * 1030 + b"\x08\x08\r\nAT\r"
    for name, script in hand_written().items():
        modem[name] = b"\x40" + script
    for i in range(1, 7):
        modem[f"scenario-{i}"] = bytes([i]) + scenario_flow()
    modem["realistic-guard0"] = bytes([0x28]) + SETUP + opened(2) + host(b"+++") + wait(3000) + host(b"x")

    scen = {}
    for f in sorted(os.listdir(os.path.join(ROOT, "fixtures", "scenarios"))):
        scen[f] = open(os.path.join(ROOT, "fixtures", "scenarios", f)).read()
    faults_md = open(os.path.join(ROOT, "docs", "faults.md")).read()
    for k, block in enumerate(re.findall(r"```toml\n(.*?)```", faults_md, re.S)):
        scen[f"faults-md-{k}.toml"] = block
    src = open(os.path.join(ROOT, "crates", "qsslsim-modem", "src", "scenario.rs")).read()
    doc = "\n".join(l[4:] for l in src.splitlines() if l.startswith("//! ") or l == "//!")
    for k, block in enumerate(re.findall(r"```toml\n(.*?)```", doc, re.S)):
        scen[f"module-doc-{k}.toml"] = block
    for k, raw in enumerate(re.findall(r'\(\s*"((?:[^"\\]|\\.)*)",\s*"line \d', src)):
        scen[f"rejected-{k}.toml"] = unescape(raw)
    for k, raw in enumerate(re.findall(r'r#"(.*?)"#', src, re.S)):
        scen[f"test-{k}.toml"] = raw
    scen["every-trigger.toml"] = "\n".join([
        '[[rule]]\nwhen = { command = "AT+QSSL*" }\nfault = { kind = "dns_busy" }',
        '[[rule]]\nwhen = { open = "example.com" }\nfault = { kind = "dns_failure" }',
        '[[rule]]\nwhen = { sent_bytes = 5, socket = 1 }\nfault = { kind = "connection_reset", socket = 1 }',
        '[[rule]]\nwhen = { at_ms = 10 }\nfault = { kind = "urc_delay", ms = 100 }',
        '[[rule]]\nwhen = { after_event = "send_ok", after_ms = 3 }\nfault = { kind = "receive_stall", ms = 5 }',
        '[[rule]]\nwhen = { after_event = "recv", socket = 2 }\nfault = { kind = "module_restart" }\nrepeat = true',
    ])

    ctl = {}
    for k, req in enumerate(dict.fromkeys(re.findall(r'`(\{"verb":.*?\})`', faults_md))):
        ctl[f"faults-md-{k}.json"] = req
    ctl["dtr-high.json"] = '{"verb":"dtr","level":"high"}'
    ctl["clock-cclk.json"] = '{"verb":"clock","time":"26/08/07,13:54:02+32"}'
    ctl["unknown-field.json"] = '{"verb":"state","extra":1}'
    # The ends of the clock's range (a crash once: crates/qsslsim/tests/fuzz_regressions.rs).
    ctl["clock-9999.json"] = '{"verb":"clock","time":"9999-12-31T23:59:59Z"}'
    ctl["clock-0000.json"] = '{"verb":"clock","time":"0000-01-01T00:00:00+01:00"}'
    vocab = {
        "refuse_connect": {}, "dns_failure": {}, "dns_busy": {}, "handshake_stall": {},
        "handshake_alert": {}, "server_close": {"socket": 4, "after_bytes": 10, "after_ms": 5},
        "connection_reset": {"socket": 4}, "pdp_lost": {"ctx": 1}, "latency": {"ms": 200},
        "bandwidth": {"socket": 1, "bytes_per_sec": 2000}, "send_buffer_full": {"count": 2},
        "receive_stall": {"ms": 100}, "urc_delay": {"ms": 0}, "module_restart": {},
    }
    for kind, fields in vocab.items():
        ctl[f"fault-{kind}.json"] = json.dumps({"verb": "fault", "fault": {"kind": kind, **fields}},
                                               separators=(",", ":"))

    write("at_parser", at)
    write("modem", modem)
    write("scenario", scen)
    write("control_request", ctl)


if __name__ == "__main__":
    main()
