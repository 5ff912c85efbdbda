#!/usr/bin/env python3
"""Decode the captures of the espintcp guest on the host.

For every CASES_DIR/<case>/capture.pcap this prints result lines in the
format of the guest's summary ("PASS|FAIL|SKIP <check> <details>"):

  framing-<case>  tshark reassembles each TCP connection on PORT; the
                  originator's stream must start with "IKETCP", and both
                  streams must split exactly into RFC 9329 frames (16-bit
                  length that counts itself; IKE behind a 4-byte zero
                  marker, ESP starting with a non-zero SPI).
  decode-<case>   tcpsec-decode --tcp-port PORT decodes every IKE message
                  without error, finds IKE_SA_INIT and IKE_AUTH and as many
                  IKE messages as the framing check; with the key log that
                  tcpsec's programs wrote, it also decrypts every message
                  after IKE_SA_INIT.
  lua-<case>      tshark with tools/wireshark/tcpsec.lua (when the source
                  tree has it) shows the IKETCP prefix and as many IKEv2
                  messages as the framing check, and no malformed frame.
  keylog-<case>   tshark accepts the rows of tcpsec's key log as they were
                  written (`-o ROW`) and decrypts IKE messages and ESP
                  packets with them.

The exit status is 0 unless the checker itself could not run.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

IKETCP = b"IKETCP"
NON_ESP_MARKER = b"\x00\x00\x00\x00"

# Wireshark 4.0 UAT algorithm names in the key log -> tcpsec-decode names.
ENCR_NAMES = {
    "AES-CBC": "aes-cbc",
    "AES-GCM": "aes-gcm-16",
    "CHACHA20-POLY1305": "chacha20-poly1305",
}
INTEG_NAMES = {
    "HMAC_SHA2_256_128": "hmac-sha2-256-128",
    "HMAC_SHA2_384_192": "hmac-sha2-384-192",
    "HMAC_SHA2_512_256": "hmac-sha2-512-256",
    "NONE": "none",
}


def result(status: str, check: str, details: str) -> None:
    print(f"{status} {check} {details}", flush=True)


def tshark_fields(pcap: Path, fields: list, extra=None) -> list:
    cmd = ["tshark", "-n", "-r", str(pcap), "-o", "tcp.relative_sequence_numbers:TRUE",
           "-o", "tcp.analyze_sequence_numbers:TRUE", "-Y", "tcp", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=f"]
    for field in fields:
        cmd += ["-e", field]
    if extra:
        cmd += extra
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def reassemble(segments: dict) -> tuple:
    """Join {relative seq: payload} from seq 1; return (bytes, gap seq or None)."""
    data = bytearray()
    next_seq = 1
    for seq in sorted(segments):
        payload = segments[seq]
        end = seq + len(payload)
        if end <= next_seq:
            continue  # retransmission of bytes already joined
        if seq > next_seq:
            return bytes(data), next_seq
        data += payload[next_seq - seq:]
        next_seq = end
    return bytes(data), None


def split_frames(stream: bytes) -> tuple:
    """Split an RFC 9329 stream; return (ike count, esp count, error or None)."""
    ike = esp = 0
    pos = 0
    while pos < len(stream):
        if len(stream) - pos < 2:
            return ike, esp, f"1 byte left at offset {pos}"
        length = int.from_bytes(stream[pos:pos + 2], "big")
        if length < 3:
            return ike, esp, f"frame length {length} at offset {pos}"
        if length > len(stream) - pos:
            return ike, esp, f"frame of {length} bytes at offset {pos} cut off"
        frame = stream[pos + 2:pos + length]
        if frame[:4] == NON_ESP_MARKER:
            ike += 1
        elif len(frame) >= 8:
            esp += 1
        else:
            return ike, esp, f"{len(frame)}-byte frame at offset {pos} is neither IKE nor ESP"
        pos += length
    return ike, esp, None


def check_framing(case: str, pcap: Path, port: int) -> int:
    """Check prefix and framing of every connection; return IKE frames seen."""
    rows = tshark_fields(pcap, ["tcp.stream", "ip.src", "tcp.srcport", "tcp.flags.syn",
                                "tcp.flags.ack", "tcp.seq", "tcp.payload"])
    streams = {}
    for stream_id, src, sport, syn, ack, seq, payload in rows:
        conn = streams.setdefault(stream_id, {"originator": None, "dirs": {}})
        if syn in ("1", "True") and ack in ("0", "False"):
            conn["originator"] = (src, sport)
        if payload:
            data = bytes.fromhex(payload.replace(":", ""))
            segments = conn["dirs"].setdefault((src, sport), {})
            # A retransmission may start at the same sequence number as the
            # original segment but carry fewer bytes, so keep the longer one.
            if len(data) > len(segments.get(int(seq), b"")):
                segments[int(seq)] = data

    total_ike = total_esp = 0
    problems = []
    for stream_id, conn in sorted(streams.items(), key=lambda item: int(item[0])):
        if conn["originator"] is None:
            problems.append(f"stream {stream_id}: SYN not captured")
            continue
        for direction, segments in conn["dirs"].items():
            data, gap = reassemble(segments)
            side = "originator" if direction == conn["originator"] else "responder"
            if side == "originator":
                if not data.startswith(IKETCP):
                    problems.append(f"stream {stream_id}: originator starts with "
                                    f"{data[:6].hex()} instead of IKETCP")
                    continue
                data = data[len(IKETCP):]
            ike, esp, error = split_frames(data)
            total_ike += ike
            total_esp += esp
            if gap is not None:
                problems.append(f"stream {stream_id} {side}: bytes missing at seq {gap}")
            if error:
                problems.append(f"stream {stream_id} {side}: {error}")

    details = (f"{len(streams)} connection(s) on port {port}, {total_ike} IKE and "
               f"{total_esp} ESP frames")
    if not streams:
        result("FAIL", f"framing-{case}", "no TCP connection in the capture")
    elif problems:
        result("FAIL", f"framing-{case}", f"{details}; " + "; ".join(problems))
    else:
        result("PASS", f"framing-{case}", details)
    return total_ike


def keylog_specs(case_dir: Path) -> list:
    """Turn the IKE lines of tcpsec's key logs into tcpsec-decode key specs."""
    specs = []
    for keylog in sorted(case_dir.glob("keylog-*.txt")):
        for line in keylog.read_text().splitlines():
            if not line.startswith("uat:ikev2_decryption_table:"):
                continue
            # Rows are comma-separated, with or without quotes per field.
            fields = next(csv.reader([line.split(":", 2)[2]]))
            if len(fields) != 8:
                continue
            spi_i, spi_r, sk_ei, sk_er, encr, sk_ai, sk_ar, integ = fields
            encr_name = next((v for k, v in ENCR_NAMES.items()
                              if encr.upper().startswith(k)), None)
            integ_name = next((v for k, v in INTEG_NAMES.items()
                               if integ.upper().startswith(k)), None)
            if encr_name is None or integ_name is None:
                continue
            specs.append(":".join([spi_i, spi_r, sk_ei, sk_er, encr_name,
                                   sk_ai or "-", sk_ar or "-", integ_name]))
    return specs


def check_decode(case: str, case_dir: Path, pcap: Path, decoder: Path, port: int,
                 ike_frames: int) -> None:
    if not decoder.is_file():
        result("SKIP", f"decode-{case}", f"skipped: {decoder} not built")
        return
    specs = keylog_specs(case_dir)
    cmd = [str(decoder), "--json", "--tcp-port", str(port)]
    keys_file = None
    if specs:
        keys_file = tempfile.NamedTemporaryFile("w", delete=False, prefix="espintcp-keys-")
        os.chmod(keys_file.name, 0o600)
        keys_file.write("\n".join(specs) + "\n")
        keys_file.close()
        cmd += ["--keys-file", keys_file.name]
    cmd.append(str(pcap))
    try:
        run = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        if keys_file is not None:
            os.unlink(keys_file.name)
    (case_dir / "decode.json").write_text(run.stdout)
    (case_dir / "decode.stderr").write_text(run.stderr)
    try:
        doc = json.loads(run.stdout)
    except json.JSONDecodeError:
        result("FAIL", f"decode-{case}", f"tcpsec-decode exit {run.returncode}, output is not JSON")
        return

    messages = doc.get("messages", [])
    exchanges = [m.get("header", {}).get("exchange_name", "?") for m in messages]
    errors = [m for m in messages if "error" in m]
    decrypted = [m for m in messages if m.get("decryption", {}).get("result") == "ok"]
    protected = [m for m in messages if m.get("header", {}).get("exchange_name") != "IKE_SA_INIT"]
    seen = sorted(set(exchanges))
    details = (f"{len(messages)} IKE messages ({', '.join(seen)}), "
               f"{len(decrypted)}/{len(protected)} decrypted with {len(specs)} key(s)")
    problems = []
    if run.returncode != 0:
        problems.append(f"exit status {run.returncode}")
    if errors:
        problems.append(f"{len(errors)} malformed message(s)")
    for needed in ("IKE_SA_INIT", "IKE_AUTH"):
        if needed not in exchanges:
            problems.append(f"no {needed}")
    if len(messages) != ike_frames:
        problems.append(f"{ike_frames} IKE frames in the framing check")
    if specs and len(decrypted) != len(protected):
        problems.append("not every protected message decrypted")
    if problems:
        result("FAIL", f"decode-{case}", f"{details}; " + "; ".join(problems))
    else:
        result("PASS", f"decode-{case}", details)


def lua_command(pcap: Path, lua: Path) -> list:
    # The guest's captures hold segments out of order. Without
    # reassemble_out_of_order, tshark 4.0 passed nothing more of that
    # direction to the dissector after the first out-of-order segment.
    return ["tshark", "-n", "-r", str(pcap), "-X", f"lua_script:{lua}",
            "-o", "tcp.reassemble_out_of_order:TRUE"]


def check_lua(case: str, case_dir: Path, pcap: Path, lua: Path, ike_frames: int) -> None:
    """Dissect without keys: prefix, framing and IKE headers, nothing malformed."""
    cmd = lua_command(pcap, lua)
    verbose = subprocess.run(cmd + ["-V"], capture_output=True, text=True)
    (case_dir / "lua.txt").write_text(verbose.stdout + verbose.stderr)
    malformed = subprocess.run(cmd + ["-Y", "_ws.malformed || _ws.expert.severity == error"],
                               capture_output=True, text=True)
    bad_frames = [line for line in malformed.stdout.splitlines() if line.strip()]
    ike = subprocess.run(cmd + ["-Y", "isakmp", "-T", "fields", "-e", "isakmp.exchangetype"],
                         capture_output=True, text=True)
    # A TCP segment may carry several IKE messages, one field value each.
    dissected = sum(len(line.split(",")) for line in ike.stdout.splitlines() if line.strip())
    problems = []
    if verbose.returncode != 0:
        problems.append(f"tshark exit {verbose.returncode}: {verbose.stderr.strip()[-200:]}")
    if "IKETCP" not in verbose.stdout:
        problems.append("no IKETCP prefix shown")
    if dissected != ike_frames:
        problems.append(f"{ike_frames} IKE frames in the framing check")
    if bad_frames:
        problems.append(f"{len(bad_frames)} malformed or error frame(s): {bad_frames[0][:120]}")
    details = f"{dissected} IKEv2 message(s) dissected"
    if problems:
        result("FAIL", f"lua-{case}", f"{details}; " + "; ".join(problems))
    else:
        result("PASS", f"lua-{case}", details)


def check_keylog(case: str, case_dir: Path, pcap: Path, lua: Path) -> None:
    """Pass the key log rows to tshark exactly as written; expect decryption."""
    rows = []
    for keylog in sorted(case_dir.glob("keylog-*.txt")):
        rows += [line for line in keylog.read_text().splitlines() if line.startswith("uat:")]
    if not rows:
        return
    options = []
    for row in rows:
        options += ["-o", row]
    cmd = lua_command(pcap, lua) + options + ["-o", "esp.enable_encryption_decode:TRUE"]

    ike = subprocess.run(cmd + ["-Y", "isakmp", "-V"], capture_output=True, text=True)
    if ike.returncode != 0:
        reason = ike.stderr.strip().rsplit('": ', 1)[-1][-200:]
        result("FAIL", f"keylog-{case}", f"tshark rejects the key log rows: {reason}")
        return
    ike_decrypted = ike.stdout.count("Decrypted Data")
    inner = subprocess.run(cmd + ["-Y", "esp && (icmp || tcp.port == 5201)"],
                           capture_output=True, text=True)
    esp_decrypted = len([line for line in inner.stdout.splitlines() if line.strip()])

    details = (f"{len(rows)} row(s); {ike_decrypted} IKE message(s) and {esp_decrypted} "
               f"ESP packet(s) decrypted by tshark")
    # ESP rows carry the addresses of the SA. A capture on the far side of
    # the NAT shows the NAT's address instead, so there only IKE must decrypt.
    behind_nat = case.endswith("-nat")
    if behind_nat:
        details += (" (the capture shows the NAT's address, so ESP rows of the side"
                    " behind it need not match)")
    if ike_decrypted == 0 or (esp_decrypted == 0 and not behind_nat):
        result("FAIL", f"keylog-{case}", details)
    else:
        result("PASS", f"keylog-{case}", details)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True, help="tcpsec build tree")
    parser.add_argument("--source", type=Path, required=True, help="tcpsec source tree")
    parser.add_argument("--port", type=int, default=4500, help="TCP port of the streams")
    parser.add_argument("cases", type=Path, help="folder with one folder per case")
    args = parser.parse_args()

    decoder = args.build / "examples" / "tcpsec-decode" / "tcpsec-decode"
    lua = args.source.resolve() / "tools" / "wireshark" / "tcpsec.lua"
    have_tshark = shutil.which("tshark") is not None
    for case_dir in sorted(p for p in args.cases.iterdir() if p.is_dir()):
        pcap = case_dir / "capture.pcap"
        if not pcap.is_file() or pcap.stat().st_size <= 24:
            continue
        case = case_dir.name
        if not have_tshark:
            result("SKIP", f"framing-{case}", "skipped: tshark is not installed")
            continue
        try:
            ike_frames = check_framing(case, pcap, args.port)
        except subprocess.CalledProcessError as err:
            result("FAIL", f"framing-{case}", f"tshark failed: {err.stderr.strip()[:200]}")
            continue
        check_decode(case, case_dir, pcap, decoder, args.port, ike_frames)
        if not lua.is_file():
            result("SKIP", f"lua-{case}", f"skipped: {lua} not in the source tree")
            continue
        check_lua(case, case_dir, pcap, lua, ike_frames)
        check_keylog(case, case_dir, pcap, lua)
    return 0


if __name__ == "__main__":
    sys.exit(main())
